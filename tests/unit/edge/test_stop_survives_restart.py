"""An operator's stop survives a restart of the agent (edge.stops): stored with the latches, put back at start, no
relay closes under it until start_socket; stored records that cannot be read hold every socket stopped, alarmed."""

from pathlib import Path
from typing import Any

from edge.actions import Emit, Relay
from edge.decide import decide
from edge.inputs import StoredUnreadable, Tick
from edge.latches import latches_of, restore_checked
from edge.outbox import Outbox
from edge.state import ShedState
from edge.stops import UNREADABLE, hold_all, not_stored
from protocol.device import SocketState as Plug
from protocol.docgen import ALARM_TYPES
from protocol.uplink import AlarmCleared, AlarmRaised, CommandResult
from tests.unit.edge.scenario import T0, make_state
from tests.unit.edge.test_charging_session_rules import Shed, authorised


def _restart(shed: Shed) -> Shed:
    """A new process: a fresh state with every stored record put back (as the agent does at start)."""
    fresh = make_state(thresholds={"full_hold_s": 30, "switch_on_grace_s": 10, "sample_interval_s": 10})
    fresh.config = shed.state.config
    assert restore_checked(fresh, latches_of(shed.state), mono_ms=shed.now, wall_ms=shed.now) == (0, 0)
    return Shed(fresh, now=shed.now, seq=shed.seq + 100)


def _ons(shed: Shed, socket: int = 1) -> list[Relay]:
    return [r for r in shed.relays() if r.socket == socket and r.on]


def test_a_stopped_socket_on_an_open_shed_stays_off_after_a_restart_until_start_socket() -> None:
    shed = authorised(mode="open")
    shed.reading(200.0)
    assert shed.command("stop_socket", device="post-1", socket=1).result.status == "applied"
    assert {"scope": "stop", "device": "post-1", "socket": 1} in latches_of(shed.state)

    after = _restart(shed)
    after.feed(Tick())
    # the post switches the socket on again by itself (its watchdog, a reboot, a plug-in): the edge cuts it
    out = after.reading(200.0)
    offs = [a for a in out if isinstance(a, Relay) and a.socket == 1]
    assert [(r.on, r.reason) for r in offs] == [(False, "operator_stop")]
    assert _ons(after) == []

    assert after.command("start_socket", device="post-1", socket=1).result.status == "applied"
    assert [r.reason for r in _ons(after)] == ["operator_start"]
    assert [r for r in latches_of(after.state) if r["scope"] == "stop"] == []
    lifted = _restart(after)
    lifted.reading(200.0)
    assert not [r for r in lifted.relays() if r.socket == 1 and not r.on]  # lifted stays lifted


def test_a_stop_outlives_an_unplug_and_a_reset_in_its_stored_record() -> None:
    shed = authorised(mode="open")
    shed.command("stop_socket", device="post-1", socket=2)
    shed.reading(0.0, socket=2, relay=False, plug=Plug.EMPTY)
    shed.command("reset_trip")
    assert [r for r in latches_of(shed.state) if r["scope"] == "stop"] == [
        {"scope": "stop", "device": "post-1", "socket": 2}
    ]


def test_a_record_for_a_socket_no_longer_configured_holds_nothing() -> None:
    state = make_state()
    assert restore_checked(state, [{"scope": "stop", "device": "post-9", "socket": 1}]) == (0, 0)
    assert all(s.hold_off is None for s in state.sockets())


def test_malformed_records_are_counted_not_applied() -> None:
    state = make_state()
    records: list[dict[str, Any]] = [
        {"scope": "stop", "device": "post-1", "socket": "two"},
        {"scope": "alarm", "alarm_id": "x"},  # no class, no type
        {"scope": "socket", "device": "post-1", "socket": 3, "reason": "over_power"},
    ]
    assert restore_checked(state, records) == (1, 2)
    assert state.posts["post-1"].sockets[3].trip == "over_power"


def _unreadable_start() -> tuple[ShedState, list[object]]:
    state = make_state()
    assert hold_all(state) == 4
    state, actions = decide(state, StoredUnreadable(2), T0)
    return state, list(actions)


def test_unreadable_stored_state_holds_every_socket_and_raises_a_latched_trouble_alarm() -> None:
    state, actions = _unreadable_start()
    raised = [a.event for a in actions if isinstance(a, Emit) and isinstance(a.event, AlarmRaised)]
    assert [(e.alarm_type, e.alarm_class.value) for e in raised] == [(UNREADABLE, "trouble")]
    assert UNREADABLE in ALARM_TYPES
    shed = Shed(state)
    shed.reading(200.0, socket=3)
    assert [(r.socket, r.on) for r in shed.relays()] == [(3, False)]
    # the alarm is a latch: stored, and it survives the next restart until a reset of the shed
    assert any(r["scope"] == "alarm" and r["alarm_type"] == UNREADABLE for r in latches_of(shed.state))
    shed.command("reset_trip")
    assert [e.alarm_type for e in shed.events(AlarmCleared)] == [UNREADABLE]
    # the reset lifts the alarm, not the stops: each socket is started by an operator
    assert all(s.hold_off == "operator_stop" for s in shed.state.sockets())


def test_the_outbox_returns_what_it_can_read_and_counts_the_rest(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    box.save_latches([{"scope": "stop", "device": "post-1", "socket": 1}])
    with box._lock:  # a torn or foreign row next to a good one
        box._db.execute("INSERT INTO latches (body) VALUES ('{not json'), ('[1, 2]')")
    assert box.load_latches() == ([{"scope": "stop", "device": "post-1", "socket": 1}], 2)
    with box._lock:
        box._db.execute("DROP TABLE latches")
    assert box.load_latches() == ([], 1)
    box.close()


def test_an_applied_answer_whose_change_was_not_stored_is_failed_and_the_others_stay() -> None:
    applied = CommandResult(src="shed-a", seq=0, ts=T0, request_id="c-1", status="applied")
    failed = not_stored(applied)
    assert (failed.status, failed.request_id) == ("failed", "c-1")
    assert failed.detail == "applied but not stored (lost on a restart of the agent)"
    rejected = applied.model_copy(update={"status": "rejected", "detail": "unknown socket"})
    assert not_stored(rejected) == rejected
