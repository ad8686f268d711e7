"""The on-disk outbox: seq never reused, oldest first, acks, thinning under quota, audit and config."""

import uuid
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 4)),
        st.tuples(st.just("stage"), st.integers(1, 30)),
        st.tuples(st.just("batch"), st.just(0)),
        st.tuples(st.just("ack"), st.integers(0, 5)),
        st.tuples(st.just("reopen"), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_any_sequence_of_operations_keeps_seq_contiguous(tmp_path: Path, operations: list) -> None:
    path = tmp_path / f"o-{uuid.uuid4().hex}.sqlite"
    box = Outbox(path)
    issued: list[int] = []
    acked: set[int] = set()

    def build(seq: int, points: list) -> bytes:
        return batch_payload("shed-a", seq, 1_767_225_600_000, points)

    for op, n in operations:
        if op == "add":
            issued += box.add_many([(KIND_EVENT, "e", _b("x")) for _ in range(n)])
        elif op == "stage":
            box.stage([{"ts": 1_767_225_600_000, "device": "post-1", "fields": {"power_w": 1.0}}] * n)
        elif op == "batch":
            issued += box.batch_staged(KIND_TELEMETRY, "t", build, max_points=25)
        elif op == "ack":
            waiting = [r.seq for r in box.after(0, 100)]
            acked.update(waiting[:n])
            box.ack(waiting[:n])
        else:
            box.close()
            box = Outbox(path)
    assert issued == list(range(1, len(issued) + 1))
    assert box.last_seq == len(issued)
    assert [r.seq for r in box.after(0, 10_000)] == [s for s in issued if s not in acked]
    box.close()


def test_events_leave_before_a_telemetry_backlog(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add_many([(KIND_TELEMETRY, "t", _b("tel"))] * 50)
    box.add(KIND_EVENT, "e", _b("offgas"))
    first = box.pending(urgent_after=0, telemetry_after=0, limit=3)
    assert [(r.seq, r.kind) for r in first] == [(51, KIND_EVENT), (1, KIND_TELEMETRY), (2, KIND_TELEMETRY)]
    nxt = box.pending(urgent_after=51, telemetry_after=2, limit=2)
    assert [r.seq for r in nxt] == [3, 4]


def test_parked_row_leaves_the_queue_but_stays_on_disk(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add_many([(KIND_EVENT, "e", _b("a")), (KIND_EVENT, "e", _b("b"))])
    box.park(1, "too_large: 9 bytes > broker limit 5")
    assert [r.seq for r in box.pending(urgent_after=0, telemetry_after=0, limit=10)] == [2]
    assert box.parked() == [(1, KIND_EVENT, "too_large: 9 bytes > broker limit 5")]
    assert box.depth() == 1


def test_batches_fit_the_byte_limit(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    points = [
        {"ts": 1_700_000_000_000, "device": "post-1", "socket": 1, "fields": {"power_w": float(i)}} for i in range(500)
    ]
    box.stage(points)

    def build(seq: int, pts: list) -> bytes:
        return batch_payload("shed-a", seq, 1_700_000_000_000, pts)

    seqs = box.batch_staged(KIND_TELEMETRY, "t", build, 10_000, 4_000)
    rows = box.pending(urgent_after=0, telemetry_after=0, limit=1000)
    assert len(seqs) > 1 and [r.seq for r in rows] == seqs
    assert all(len(r.payload) <= 4_000 for r in rows)
    assert [p for r in rows for p in orjson.loads(r.payload)["points"]] == points


def test_shrink_thins_in_place_under_the_same_seq(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    pts = [
        {"ts": 1_700_000_000_000 + i, "device": "post-1", "socket": 1, "fields": {"power_w": 10.0}} for i in range(50)
    ]
    box.stage(pts)
    box.batch_staged(KIND_TELEMETRY, "t", lambda seq, p: batch_payload("shed-a", seq, 1_700_000_000_000, p))
    small = box.shrink(1)
    assert small is not None and len(orjson.loads(small)["points"]) == 1
    assert box.pending(urgent_after=0, telemetry_after=0, limit=1)[0].payload == small
    assert box.shrink(99) is None


def test_rows_stay_until_the_cloud_watermark(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add_many([(KIND_EVENT, "e", _b("x"))] * 5)
    assert box.ack_through(3) == 3
    assert [r.seq for r in box.pending(urgent_after=0, telemetry_after=0, limit=10)] == [4, 5]


def test_a_lost_data_directory_renumbers_above_what_the_cloud_holds(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    assert box.fresh
    box.stage([{"ts": 1_700_000_000_000, "device": "post-1", "fields": {"power_w": 1.0}}])
    box.batch_staged(KIND_TELEMETRY, "t", lambda seq, p: batch_payload("shed-a", seq, 1_700_000_000_000, p))
    box.add(KIND_EVENT, "e", lambda seq: orjson.dumps({"seq": seq, "type": "x"}))
    assert box.rebase(1001) == 2
    rows = box.pending(urgent_after=0, telemetry_after=0, limit=10)
    assert [(r.seq, orjson.loads(r.payload)["seq"]) for r in rows] == [(1002, 1002), (1001, 1001)]
    assert box.add(KIND_EVENT, "e", _b("next")) == 1003
    box.close()
    again = Outbox(tmp_path / "o.sqlite")
    assert not again.fresh and again.last_seq == 1003


def test_settled_store_is_not_fresh_after_reopen(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add(KIND_EVENT, "e", _b("x"))
    box.close()
    assert Outbox(tmp_path / "o.sqlite").fresh, "rows alone do not settle the numbering"
    box = Outbox(tmp_path / "o.sqlite")
    box.settle()
    box.close()
    assert not Outbox(tmp_path / "o.sqlite").fresh


def test_a_device_message_redelivered_after_a_crash_is_staged_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    pts = [{"ts": 1_700_000_000_000, "device": "post-1", "fields": {"power_w": 1.0}}]
    assert box.stage(pts, ("post-1", 41, 1_700_000_000_000))
    box.close()  # the process dies before its PUBACK left: the shed broker sends the message again
    again = Outbox(tmp_path / "o.sqlite")
    assert not again.stage(pts, ("post-1", 41, 1_700_000_000_000))
    assert again.stage(pts, ("post-1", 41, 1_700_000_009_000)), "same seq, new time: a restarted device"
    seqs = again.batch_staged(KIND_TELEMETRY, "t", lambda seq, p: batch_payload("shed-a", seq, 1_700_000_000_000, p))
    rows = again.pending(urgent_after=0, telemetry_after=0, limit=10)
    assert len(seqs) == 1 and len(orjson.loads(rows[0].payload)["points"]) == 2
