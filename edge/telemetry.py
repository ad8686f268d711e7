"""Turning device readings into telemetry points and batches for the cloud (plain dicts, orjson)."""

from typing import Any

import orjson

from edge.clock_rules import stamp
from protocol.device import EnvironmentReading, ExtinguisherStatus, PostTelemetry

Point = dict[str, Any]
MAX_POINTS = 10_000  # TelemetryBatch's limit


def points_of(message: object, received_ms: int | None = None, skew_ms: int = 120_000) -> list[Point]:
    """The telemetry points of one device message (empty for messages that carry none).

    ``received_ms`` is the edge's wall time at receipt: a device stamp further than ``skew_ms`` from it
    (edge.clock_rules) is replaced by it, so a 1970 stamp never files a reading 56 years back.
    """
    if received_ms is not None and isinstance(message, PostTelemetry | ExtinguisherStatus | EnvironmentReading):
        ts = stamp(message.ts, received_ms, skew_ms)
        if ts != message.ts:
            message = message.model_copy(update={"ts": ts})
    if isinstance(message, PostTelemetry):
        pts: list[Point] = [
            {"ts": message.ts, "device": message.src, "fields": {"total_power_w": message.total_power_w}}
        ]
        for r in message.sockets:
            pts.append(
                {
                    "ts": message.ts,
                    "device": message.src,
                    "socket": r.socket,
                    "fields": {
                        "voltage_v": r.voltage_v,
                        "current_a": r.current_a,
                        "power_w": r.power_w,
                        "energy_wh": r.energy_wh,
                        "temp_c": r.temp_c,
                        "relay": 1.0 if r.relay else 0.0,
                    },
                }
            )
        return pts
    if isinstance(message, ExtinguisherStatus):
        fields = {
            "pressure_mpa": message.pressure_mpa,
            "discharged": 1.0 if message.discharged else 0.0,
            "removed": 1.0 if message.removed else 0.0,
            "battery_pct": message.battery_pct,
        }
        return [{"ts": message.ts, "device": message.src, "fields": fields}]
    if isinstance(message, EnvironmentReading):
        fields = {
            "temp_c": message.temp_c,
            "smoke_obscuration_pct_m": message.smoke_obscuration_pct_m,
            "smoke_alarm": 1.0 if message.smoke_alarm else 0.0,
            "h2_ppm": message.h2_ppm,
            "co_ppm": message.co_ppm,
            "voc_ppm": message.voc_ppm,
        }
        return [{"ts": message.ts, "device": message.src, "fields": fields}]
    return []


def batch_payload(shed: str, seq: int, ts: int, points: list[Point]) -> bytes:
    """A TelemetryBatch as JSON bytes (the shape protocol.uplink.TelemetryBatch validates)."""
    return orjson.dumps({"v": 1, "src": shed, "seq": seq, "ts": ts, "points": points})


def chunks(points: list[Point], size: int = MAX_POINTS) -> list[list[Point]]:
    """Split points into batches no larger than the protocol allows."""
    return [points[i : i + size] for i in range(0, len(points), size)]
