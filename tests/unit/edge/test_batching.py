"""Telemetry batches fit the contract's limits and the cloud broker's Maximum Packet Size."""

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.batching import PUBLISH_OVERHEAD, fit, payload_limit
from edge.telemetry import MAX_POINTS, batch_payload
from protocol.codec import MAX_PAYLOAD_BYTES, decode
from protocol.topics import Kind

TOPIC = "sw/v1/edge/shed-a/telemetry"


def _points(n: int) -> list[dict[str, object]]:
    fields = {"voltage_v": 230.1, "current_a": 1.234, "power_w": 283.9, "energy_wh": 1234.5, "temp_c": 31.2}
    return [
        {"ts": 1_700_000_000_000 + i, "device": f"post-{i % 2 + 1}", "socket": i % 64 + 1, "fields": fields}
        for i in range(n)
    ]


def _build(seq: int, points: list[dict[str, object]]) -> bytes:
    return batch_payload("shed-a", seq, 1_700_000_000_000, points)


def test_full_max_points_batch_exceeds_the_contract_limit_and_is_split() -> None:
    points = _points(MAX_POINTS)
    assert len(_build(1, points)) > MAX_PAYLOAD_BYTES, "the case of the issue: one full batch is over 1 MiB"
    out = fit(points, first_seq=1, build=_build, max_points=MAX_POINTS, max_bytes=MAX_PAYLOAD_BYTES)
    assert len(out) == 2
    assert all(len(p) <= MAX_PAYLOAD_BYTES for p in out)
    decoded = [decode(Kind.EDGE_TELEMETRY, p) for p in out]
    assert [b.seq for b in decoded] == [1, 2]
    assert sum(len(b.points) for b in decoded) == MAX_POINTS


def test_broker_packet_limit_131072() -> None:
    limit = payload_limit(131_072, TOPIC)
    assert limit == 131_072 - PUBLISH_OVERHEAD - len(TOPIC)
    points = _points(2 * 64 * 25)  # 2 posts x 64 sockets x 5 s at 0.2 s
    out = fit(points, first_seq=10, build=_build, max_points=MAX_POINTS, max_bytes=limit)
    assert all(len(p) <= limit for p in out)
    got = [pt for p in out for pt in orjson.loads(p)["points"]]
    assert got == points, "every reading, in order, none twice"
    assert [orjson.loads(p)["seq"] for p in out] == list(range(10, 10 + len(out)))


def test_no_broker_limit_means_the_contract_limit() -> None:
    assert payload_limit(None, TOPIC) == MAX_PAYLOAD_BYTES
    assert payload_limit(10 * MAX_PAYLOAD_BYTES, TOPIC) == MAX_PAYLOAD_BYTES


def test_a_single_oversized_point_is_kept_alone() -> None:
    out = fit(_points(3), first_seq=1, build=_build, max_points=10, max_bytes=10)
    assert len(out) == 3


def test_max_points_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_points"):
        fit(_points(1), first_seq=1, build=_build, max_points=0, max_bytes=100)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3000), max_points=st.integers(1, 5000), max_bytes=st.integers(600, 200_000))
def test_fit_keeps_everything_within_limits(n: int, max_points: int, max_bytes: int) -> None:
    points = _points(n)
    out = fit(points, first_seq=1, build=_build, max_points=max_points, max_bytes=max_bytes)
    docs = [orjson.loads(p) for p in out]
    assert all(len(p) <= max_bytes for p in out)
    assert all(len(d["points"]) <= max_points for d in docs)
    assert [pt for d in docs for pt in d["points"]] == points
