"""Splitting staged readings into telemetry batches that fit every limit on the way to the cloud.

Two limits apply to one batch: the contract's (``MAX_POINTS`` points, and the payload at
most ``protocol.codec.MAX_PAYLOAD_BYTES``), and the cloud broker's Maximum Packet Size
(MQTT 5 CONNACK property, OASIS MQTT 5.0 section 3.2.2.3.6), which a broker enforces by
dropping the connection: a batch over it would stall the uplink for good. A chunk whose
payload is too large is halved until it fits; one point alone always fits (a point is a
few hundred bytes, far below any sane packet limit).

Pure: the payload builder is passed in.
"""

from collections.abc import Callable
from typing import Any

from protocol.codec import MAX_PAYLOAD_BYTES

Point = dict[str, Any]
Build = Callable[[int, list[Point]], bytes]  # seq, points -> payload

# Bytes of a PUBLISH packet besides topic and payload: fixed header (1 + up to 4 length bytes), topic length (2),
# packet id (2), MQTT 5 properties (length byte plus room for what a client or broker may add).
PUBLISH_OVERHEAD = 5 + 2 + 2 + 23


def payload_limit(max_packet_size: int | None, topic: str) -> int:
    """The largest payload (bytes) one PUBLISH on ``topic`` may carry: the contract's and the broker's limit."""
    if max_packet_size is None:
        return MAX_PAYLOAD_BYTES
    return max(1, min(MAX_PAYLOAD_BYTES, max_packet_size - PUBLISH_OVERHEAD - len(topic.encode())))


def fit(points: list[Point], *, first_seq: int, build: Build, max_points: int, max_bytes: int) -> list[bytes]:
    """Payloads for consecutive seqs from ``first_seq``, in reading order, each within both limits.

    Raises ValueError when ``max_points`` < 1. A single point larger than ``max_bytes`` is kept as
    its own batch (the uplink then parks it as refused rather than lose it silently).
    """
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    pending = [points[i : i + max_points] for i in range(0, len(points), max_points)]
    pending.reverse()  # a stack: the oldest chunk on top
    out: list[bytes] = []
    while pending:
        chunk = pending.pop()
        payload = build(first_seq + len(out), chunk)
        if len(payload) > max_bytes and len(chunk) > 1:
            half = len(chunk) // 2
            pending.append(chunk[half:])
            pending.append(chunk[:half])
            continue
        out.append(payload)
    return out
