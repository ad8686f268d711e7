"""The record ingest keeps for the leader (cloud/alarms/heard.py): the grace after a start and after the edge
returns, the edge's own report, the shed's post limit, all judged on the monotonic clock."""

from cloud.alarms.heard import HeardBook
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.core.alarms.rules import RulePolicy, ShedFacts, evaluate
from cloud.core.batch import Batch
from protocol.uplink import AlarmClass, TelemetryBatch, TelemetryPoint
from tests.manualclock import T0, ManualClock

POLICY = RulePolicy()  # 180 s + 30 s for the edge's report
WINDOW_MS = 210_000


def batch(shed: str, *points: tuple[str, float], ts: int = T0) -> Batch:
    pts = [TelemetryPoint(ts=ts, device=d, fields={"total_power_w": w}) for d, w in points]
    b = Batch()
    b.telemetry.append((TelemetryBatch(src=shed, seq=1, ts=ts, points=pts), ts))
    return b


def active(
    book: HeardBook, clock: ManualClock, *, edge_seen: int | None, opened: list[Alarm] | None = None
) -> set[str]:
    facts = ShedFacts(shed="shed-a", edge_last_seen_ms=edge_seen)
    done = book.complete(facts, ["env-1", "post-1"], opened or [], clock.wall, POLICY)
    return {f"{k.device}/{k.alarm_type}" for k in evaluate(done, clock.wall, POLICY)}


def test_after_a_start_every_device_gets_the_whole_window() -> None:
    clock = ManualClock()
    book = HeardBook(clock, post_limit_w=8700)
    assert active(book, clock, edge_seen=clock.wall) == set()
    clock.advance(WINDOW_MS - 1)
    assert active(book, clock, edge_seen=clock.wall) == set()
    book.on_batch(batch("shed-a", ("post-1", 10.0)))
    clock.advance(1)
    assert active(book, clock, edge_seen=clock.wall) == {"env-1/device_silent"}


def test_a_wall_clock_step_moves_nothing() -> None:
    clock = ManualClock()
    book = HeardBook(clock, post_limit_w=8700)
    book.on_batch(batch("shed-a", ("post-1", 10.0), ("env-1", 0.0)))
    assert active(book, clock, edge_seen=clock.wall) == set()
    clock.wall += 3_600_000  # NTP steps the wall clock an hour forward
    assert active(book, clock, edge_seen=clock.wall) == set()


def test_an_edge_back_online_gives_its_devices_the_window_again() -> None:
    clock = ManualClock()
    book = HeardBook(clock, post_limit_w=8700)
    book.on_batch(batch("shed-a", ("post-1", 10.0), ("env-1", 0.0)))
    active(book, clock, edge_seen=clock.wall)
    down_from = clock.wall
    clock.advance(600_000)
    assert active(book, clock, edge_seen=down_from) == {"/edge_offline"}
    clock.advance(1_000)  # back: a heartbeat now, the readings it kept still draining
    assert active(book, clock, edge_seen=clock.wall) == set()
    clock.advance(WINDOW_MS - 1)
    assert active(book, clock, edge_seen=clock.wall) == set()
    clock.advance(1)
    assert active(book, clock, edge_seen=clock.wall) == {"env-1/device_silent", "post-1/device_silent"}


def test_a_device_the_edge_reports_offline_is_left_to_its_alarm_while_that_is_active() -> None:
    clock = ManualClock()
    book = HeardBook(clock, post_limit_w=8700)
    active(book, clock, edge_seen=clock.wall)
    clock.advance(WINDOW_MS)
    key = AlarmKey("shed-a", "env-1", 0, "device_offline")
    raised = Alarm(key, AlarmClass.TROUBLE, Lifecycle.UNACK, T0)
    assert active(book, clock, edge_seen=clock.wall, opened=[raised]) == {"post-1/device_silent"}
    returned = Alarm(key, AlarmClass.TROUBLE, Lifecycle.RTN_UNACK, T0)  # the edge hears it again
    assert active(book, clock, edge_seen=clock.wall, opened=[returned]) == {
        "env-1/device_silent",
        "post-1/device_silent",
    }


def test_the_sheds_own_post_limit_judges_its_readings() -> None:
    clock = ManualClock()
    book = HeardBook(clock, post_limit_w=8700)
    book.set_limit("shed-a", 5000)
    book.on_batch(batch("shed-a", ("post-1", 6000.0)))
    book.on_batch(batch("shed-b", ("post-1", 6000.0)))
    clock.advance(600_000)
    book.on_batch(batch("shed-a", ("post-1", 6000.0), ts=T0 + 600_000))
    book.on_batch(batch("shed-b", ("post-1", 6000.0), ts=T0 + 600_000))
    assert "post-1/post_over_limit_long" in active(book, clock, edge_seen=clock.wall)
    _, over_b, _ = book.facts("shed-b", ["post-1"], clock.wall, since_mono=0, fresh_ms=180_000)
    assert over_b == {}


def test_devices_outside_the_inventory_are_pruned_so_the_record_stays_bounded() -> None:
    clock = ManualClock()
    book = HeardBook(clock, post_limit_w=8700)
    invented = [(f"x-{i}", 9000.0) for i in range(200)]
    book.on_batch(batch("shed-a", ("post-1", 9000.0), *invented))
    seen, over, watts = book.facts("shed-a", ["post-1"], clock.wall, since_mono=0, fresh_ms=180_000)
    assert set(seen) == {"post-1"} and set(over) == {"post-1"} and watts == {"post-1": 9000.0}
    assert book.pruned == 200
    assert set(book._sheds["shed-a"].devices) == {"post-1"}
    assert set(book._sheds["shed-a"].posts) == {"post-1"}
