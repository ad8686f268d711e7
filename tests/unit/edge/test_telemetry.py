"""Telemetry points built from device messages validate as protocol TelemetryBatch."""

from edge.telemetry import batch_payload, chunks, points_of
from protocol.codec import decode
from protocol.device import ExtinguisherStatus, PostTelemetry
from protocol.topics import Kind
from tests.unit.edge.scenario import T0, sock_reading


def test_post_and_extinguisher_points_make_a_valid_batch() -> None:
    post = PostTelemetry(
        src="post-1",
        seq=1,
        ts=T0,
        total_power_w=200.0,
        sockets=[sock_reading({"socket": 1, "power_w": 200.0}), sock_reading({"socket": 2, "relay": False})],
    )
    ext = ExtinguisherStatus(
        src="ext-1", seq=1, ts=T0, pressure_mpa=1.2, discharged=False, removed=False, battery_pct=80
    )
    points = points_of(post) + points_of(ext) + points_of(object())
    assert len(points) == 4
    batch = decode(Kind.EDGE_TELEMETRY, batch_payload("shed-a", 9, T0, points))
    assert batch.seq == 9 and batch.points[1].fields["relay"] == 1.0


def test_chunks_respect_the_batch_limit() -> None:
    assert [len(c) for c in chunks(list(range(25_000)))] == [10_000, 10_000, 5_000]
