"""Sorting raw messages into validated work and rejects, each reject with a stable reason."""

import pytest

from cloud.core.batch import RawMessage
from cloud.core.registry import Registry
from cloud.ingest.batch import sort_batch
from protocol.codec import MAX_PAYLOAD_BYTES, encode
from protocol.uplink import EdgeHeartbeat, SocketStatus, SocketStatusChanged, TelemetryBatch, TelemetryPoint

T0 = 1_767_225_600_000


def ev(seq: int, device: str = "post-1", src: str = "shed-a") -> bytes:
    return encode(SocketStatusChanged(src=src, seq=seq, ts=T0, device=device, socket=1, status=SocketStatus.FREE))


def tel(seq: int, device: str = "post-1") -> bytes:
    p = TelemetryPoint(ts=T0, device=device, socket=1, fields={"power_w": 1.0})
    return encode(TelemetryBatch(src="shed-a", seq=seq, ts=T0, points=[p]))


def raw(topic: str, payload: bytes) -> RawMessage:
    return RawMessage(topic, payload, T0)


EVENT = "sw/v1/edge/shed-a/event"
TELEMETRY = "sw/v1/edge/shed-a/telemetry"


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (EVENT, b"{not json", "malformed_json"),
        (EVENT, b"x" * (MAX_PAYLOAD_BYTES + 1), "oversized"),
        (EVENT, b'{"v":1,"src":"shed-a","seq":"1","ts":1767225600000,"type":"socket_status"}', "wrong_type"),
        (TELEMETRY, ev(1), "missing_field"),  # an event on the telemetry topic: no points
        (EVENT, ev(1, src="shed-b"), "source_mismatch"),
        ("sw/v1/edge/shed-a/bogus", ev(1), "bad_topic"),
        ("sw/v1/cloud/shed-a/command", b"{}", "wrong_direction"),
        (EVENT, ev(1, device="post-9"), "unknown_device"),
        (TELEMETRY, tel(1, device="post-9"), "unknown_device"),
    ],
)
def test_rejects_carry_a_reason_and_never_raise(topic: str, payload: bytes, reason: str) -> None:
    registry = Registry({"shed-a": frozenset({"post-1"})})
    batch = sort_batch([raw(topic, payload), raw(EVENT, ev(2))], registry)
    assert [r.reason for r in batch.rejects] == [reason]
    assert len(batch.rejects[0].payload) <= 4096
    assert len(batch.events) == 1  # the good message behind the bad one is kept


def test_duplicates_inside_a_batch_are_dropped_across_kinds() -> None:
    hb = encode(EdgeHeartbeat(src="shed-a", seq=1, ts=T0, session=1, uptime_s=1, outbox_depth=0))
    batch = sort_batch(
        [raw(EVENT, ev(1)), raw(EVENT, ev(1)), raw(TELEMETRY, tel(1)), raw("sw/v1/edge/shed-a/heartbeat", hb)],
        Registry(),
    )
    # Telemetry seq 1 collides with event seq 1: one stream, one (src, seq).
    assert (len(batch.events), len(batch.telemetry), len(batch.heartbeats), batch.duplicates) == (1, 0, 1, 2)


def test_strict_registry_refuses_unknown_sheds() -> None:
    batch = sort_batch([raw(EVENT, ev(1))], Registry({}, strict=True))
    assert [r.reason for r in batch.rejects] == ["unknown_shed"]
