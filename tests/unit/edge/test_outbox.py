"""The on-disk outbox: seq never reused, oldest first, acks, thinning under quota, audit and config."""

from pathlib import Path

import orjson
import pytest

from edge.errors import OutboxError
from edge.outbox import KIND_EVENT, KIND_TELEMETRY, Outbox, rollup
from edge.telemetry import batch_payload
from protocol.codec import decode
from protocol.topics import Kind


def _b(text: str):
    return lambda seq: f"{text}:{seq}".encode()


def test_seq_is_contiguous_and_survives_reopen(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    assert box.last_seq == 0
    assert box.add_many([(KIND_EVENT, "t", _b("a")), (KIND_EVENT, "t", _b("b"))]) == [1, 2]
    box.ack([1, 2])
    box.close()
    again = Outbox(tmp_path / "o.sqlite")
    assert again.depth() == 0
    assert again.add(KIND_EVENT, "t", _b("c")) == 3, "a seq is never reused, even when every row was acked"


def test_oldest_first_and_ack(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    for i in range(5):
        box.add(KIND_EVENT, f"t{i}", _b("x"))
    rows = box.after(0, 3)
    assert [r.seq for r in rows] == [1, 2, 3] and rows[0].payload == b"x:1"
    assert [r.seq for r in box.after(3, 10)] == [4, 5]
    box.ack([2, 4])
    assert [r.seq for r in box.after(0, 10)] == [1, 3, 5]
    assert box.depth() == 3


def _telemetry(seq: int, n: int) -> bytes:
    points = [
        {"ts": 1_767_225_600_000 + i, "device": "post-1", "socket": 1 + i % 2, "fields": {"power_w": float(i)}}
        for i in range(n)
    ]
    return batch_payload("shed-a", seq, 1_767_225_600_000 + n, points)


def test_rollup_is_a_valid_batch_with_one_mean_point_per_socket() -> None:
    thin = decode(Kind.EDGE_TELEMETRY, rollup(_telemetry(7, 10)))
    assert thin.seq == 7
    by_socket = {p.socket: p.fields["power_w"] for p in thin.points}
    assert by_socket == {1: 4.0, 2: 5.0}


def test_quota_thins_old_telemetry_and_keeps_every_event(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", quota_bytes=200_000)
    for i in range(60):
        box.add(KIND_TELEMETRY, "tel", lambda seq: _telemetry(seq, 200))
        box.add(KIND_EVENT, "evt", _b(f"alarm{i}"))
    before = box.size_bytes()
    thinned = box.enforce_quota()
    assert thinned > 0
    assert box.size_bytes() < before
    rows = box.after(0, 1000)
    assert [r.seq for r in rows] == list(range(1, 121)), "no seq lost: thinning rewrites in place"
    assert sum(1 for r in rows if r.kind == KIND_EVENT) == 60
    first = orjson.loads(rows[0].payload)
    assert len(first["points"]) == 2


def test_counters_audit_and_config(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    assert box.get("session") == 0
    assert box.bump("session") == 1 and box.bump("session") == 2
    box.audit(ts=1, request_id="r", actor="a", action="reset_trip", target="shed", status="applied", detail="")
    assert box.audit_rows()[0][1:3] == ("r", "a")
    assert box.latest_config() is None
    box.save_config(2, '{"v": 2}', 1)
    box.save_config(3, '{"v": 3}', 2)
    assert box.latest_config() == '{"v": 3}'


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutboxError, match="cannot open outbox"):
        Outbox(blocker / "sub" / "o.sqlite")


def test_staged_readings_survive_reopen_and_become_numbered_batches(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add(KIND_EVENT, "evt", _b("e"))
    box.stage([{"ts": 1_767_225_600_000, "device": "post-1", "fields": {"power_w": 1.0}}] * 3)
    box.stage([])
    box.close()  # as after a SIGKILL: nothing was batched yet
    box = Outbox(tmp_path / "o.sqlite")

    def build(seq: int, points: list) -> bytes:
        return batch_payload("shed-a", seq, 1_767_225_600_000, points)

    assert box.batch_staged(KIND_TELEMETRY, "tel", build, max_points=2) == [2, 3]
    assert box.batch_staged(KIND_TELEMETRY, "tel", build) == []
    rows = box.after(1, 10)
    assert [len(decode(Kind.EDGE_TELEMETRY, r.payload).points) for r in rows] == [2, 1]
