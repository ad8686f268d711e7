"""After a restart an edge not heard yet gets its silence window before a new edge_offline; one already active
stays active."""

from cloud.core.alarms.inputs import Raise
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle, Origin
from cloud.core.alarms.restart_grace import hold_after_start
from cloud.core.alarms.rules import RulePolicy, ShedFacts, evaluate
from protocol.uplink import AlarmClass

KEY = AlarmKey("shed-a", "", 0, "edge_offline")
START = 1_000_000
POLICY = RulePolicy()  # 3 heartbeats of 30 s: 90 s


def _active(facts: ShedFacts, now: int, opened: list[Alarm] | None = None) -> dict[AlarmKey, Raise]:
    return hold_after_start(evaluate(facts, now, POLICY), opened or [], facts, now, START, POLICY)


def test_a_will_from_before_the_start_waits_for_the_window() -> None:
    dead = ShedFacts(shed="shed-a", edge_last_seen_ms=START - 5_000, edge_dead=True)
    assert KEY not in _active(dead, START)
    assert KEY not in _active(dead, START + 89_999)
    assert KEY in _active(dead, START + 90_000)


def test_an_edge_silent_since_before_the_start_waits_too() -> None:
    silent = ShedFacts(shed="shed-a", edge_last_seen_ms=START - 3_600_000)
    assert KEY not in _active(silent, START + 1)
    assert KEY in _active(silent, START + 90_000)


def test_an_edge_heard_in_this_run_is_judged_as_always() -> None:
    dead = ShedFacts(shed="shed-a", edge_last_seen_ms=START + 1_000, edge_dead=True)
    assert KEY in _active(dead, START + 2_000)


def test_an_outage_alarmed_before_the_restart_stays_active() -> None:
    dead = ShedFacts(shed="shed-a", edge_last_seen_ms=START - 5_000, edge_dead=True)
    alarm = Alarm(
        key=KEY,
        alarm_class=AlarmClass.TROUBLE,
        state=Lifecycle.UNACK,
        raised_ms=START - 4_000,
        instance=1,
        message="edge offline (will)",
        origin=Origin.CLOUD,
    )
    assert KEY in _active(dead, START, [alarm])
