"""Authorised sheds: the edge's charging-session decisions, as tables and properties (pure decide())."""

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.actions import Action, Answer, Emit, Relay, SaveSession
from edge.decide import decide
from edge.inputs import CommandIn, Input, Tick
from edge.sessions import CUT_REASON, restore
from edge.sessions_state import ChargeSession, counter_step
from edge.state import ShedState, SocketState
from protocol.commands import Command
from protocol.config import ShedConfig
from protocol.device import PostTelemetry, RelayResult, SocketReading
from protocol.device import SocketState as Plug
from protocol.docgen import INTERLOCK_REASONS
from protocol.uplink import InterlockAction, SessionEnded, SessionMeter, SessionStarted, SocketStatus
from tests.unit.edge.scenario import T0, make_state

FAST = {"full_hold_s": 30, "switch_on_grace_s": 10, "sample_interval_s": 10}


@dataclass
class Shed:
    """A shed under decide(): feeds inputs at monotonic ``now`` and keeps every action."""

    state: ShedState
    now: int = T0
    seq: int = 0
    counter: dict[int, float] = field(default_factory=dict)  # the post's energy counter per socket
    actions: list[Action] = field(default_factory=list)

    def feed(self, event: Input, *, at_s: float | None = None, wall: int | None = None) -> list[Action]:
        if at_s is not None:
            self.now = T0 + int(at_s * 1000)
        self.state, out = decide(self.state, event, self.now, self.now if wall is None else wall)
        self.actions += out
        return out

    def command(self, action: str, wall: int | None = None, **fields: Any) -> Answer:
        self.seq += 1
        cmd = Command(
            src="cloud",
            seq=self.seq,
            ts=self.now,
            request_id=f"c-{self.seq}",
            expires_at=self.now + 60_000,
            actor="resident:u-1",
            action=action,  # type: ignore[arg-type]
            **fields,
        )
        answers = [a for a in self.feed(CommandIn(cmd), wall=wall) if isinstance(a, Answer)]
        assert len(answers) == 1
        return answers[0]

    def start(self, socket: int = 1, session: str = "s-1", **limits: float) -> Answer:
        return self.command("start_session", device="post-1", socket=socket, session=session, **limits)

    def reading(
        self, power_w: float = 0.0, *, socket: int = 1, relay: bool = True, plug: Plug = Plug.PLUGGED, wh: float = 0.0
    ) -> list[Action]:
        """The post reports one socket; its counter grows by ``wh``."""
        self.counter[socket] = self.counter.get(socket, 0.0) + wh
        return self.report(socket, power_w, relay=relay, plug=plug, counter=self.counter[socket])

    def report(self, socket: int, power_w: float, *, relay: bool, plug: Plug, counter: float) -> list[Action]:
        self.seq += 1
        r = SocketReading(
            socket=socket,
            voltage_v=220.0,
            current_a=round(power_w / 220, 3),
            power_w=power_w,
            energy_wh=counter,
            temp_c=25.0,
            relay=relay,
            state=plug,
        )
        return self.feed(PostTelemetry(src="post-1", seq=self.seq, ts=self.now, total_power_w=power_w, sockets=[r]))

    def confirm(self, socket: int = 1) -> None:
        """The post obeys the last relay command for this socket."""
        last = [a for a in self.actions if isinstance(a, Relay) and a.socket == socket][-1]
        self.seq += 1
        self.feed(
            RelayResult(
                src="post-1", seq=self.seq, ts=self.now, request_id=last.request_id, socket=socket, ok=True,
                relay=last.on,
            )
        )  # fmt: skip

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)

    def events(self, kind: type) -> list[Any]:
        return [a.event for a in self.actions if isinstance(a, Emit) and isinstance(a.event, kind)]

    def relays(self) -> list[Relay]:
        return [a for a in self.actions if isinstance(a, Relay)]

    def sock(self, socket: int = 1) -> SocketState:
        return self.state.posts["post-1"].sockets[socket]


def authorised(thresholds: dict[str, Any] | None = None, mode: str = "authorised") -> Shed:
    state = make_state(thresholds={**FAST, **(thresholds or {})})
    state.config = state.config.model_copy(update={"mode": mode})
    return Shed(state)


def charging(limits: dict[str, float] | None = None, thresholds: dict[str, Any] | None = None) -> Shed:
    """An authorised shed with a bike plugged into post-1/1 and session s-1 started and confirmed."""
    shed = authorised(thresholds)
    shed.reading(relay=False)
    assert shed.start(**(limits or {})).result.status == "applied"
    shed.confirm()
    shed.reading(200.0)
    return shed


def ended(shed: Shed) -> list[SessionEnded]:
    return shed.events(SessionEnded)


# --- metering ---------------------------------------------------------------------------------------------


@given(st.lists(st.tuples(st.floats(0, 500, allow_nan=False), st.booleans()), max_size=60))
def test_counter_metering_across_resets_counts_every_drawn_wh_once(draws: list[tuple[float, bool]]) -> None:
    # the post draws d Wh before each reading; on a reboot (True) its counter restarts at 0 before that draw
    counter, previous, metered = 1234.5, None, 0.0
    for d, reboot in draws:
        # a reboot shows only as a counter that went down (one that climbs past its old value reads as growth)
        counter = (0.0 if reboot and d < counter else counter) + d
        step = counter_step(previous, counter)
        assert step >= 0
        metered += step
        previous = counter
    assert abs(metered - sum(d for d, _r in draws[1:])) < 1e-6 * (1 + metered)  # the first reading is the baseline


def test_counter_step_table() -> None:
    assert counter_step(None, 50.0) == 0.0  # a baseline
    assert counter_step(10.0, 12.5) == 2.5
    assert counter_step(100.0, 3.0) == 3.0  # reset: counted from the new value
    assert counter_step(10.0, -1.0) == 0.0  # a broken meter counts nothing


def test_a_record_resumes_with_its_time_and_energy() -> None:
    ses = ChargeSession("s-1", "post-1", 2, 500.0, 3600.0, energy_wh=10.0, counter_wh=40.0, resumed_ms=0)
    rec = ses.record(90_000)
    back = ChargeSession.from_record(rec, 5_000)
    assert back.duration_s(5_000) == 90.0 and back.duration_s(15_000) == 100.0
    assert (back.energy_wh, back.counter_wh, back.limit_wh, back.limit_s) == (10.0, 40.0, 500.0, 3600.0)


# --- commands -----------------------------------------------------------------------------------------------


def test_an_open_shed_refuses_sessions_and_charges_as_before() -> None:
    shed = authorised(mode="open")
    answer = shed.start()
    assert answer.result.status == "rejected" and "open" in answer.result.detail
    shed.reading(200.0)
    assert shed.sock().status is SocketStatus.CHARGING and not shed.relays()


def test_start_energises_reports_and_stores_and_a_resend_changes_nothing() -> None:
    shed = authorised()
    shed.reading(relay=False)
    first = shed.start(limit_wh=500.0)
    assert (first.result.status, first.result.detail) == ("applied", "session s-1 started on post-1/1")
    assert [(r.on, r.reason) for r in shed.relays()] == [(True, "session_start")]
    (started,) = shed.events(SessionStarted)
    assert (started.session, started.device, started.socket, started.limit_wh, started.limit_s) == (
        "s-1",
        "post-1",
        1,
        500.0,
        None,
    )
    assert [a.session for a in shed.actions if isinstance(a, SaveSession) and a.active] == ["s-1"]
    again = shed.start(limit_wh=500.0)
    assert again.result.status == "applied" and "already active" in again.result.detail
    assert len(shed.events(SessionStarted)) == 1 and len(shed.relays()) == 1
    shed.confirm()
    shed.reading(180.0, wh=1.0)
    assert shed.sock().status is SocketStatus.CHARGING and shed.sock().session_id == "s-1"


def test_start_refusals_name_why() -> None:
    shed = charging()
    cases = [
        ({"socket": 9, "session": "s-9"}, "unknown socket post-1/9"),
        ({"socket": 1, "session": "s-2"}, "has another active session (s-1)"),
        ({"socket": 2, "session": "s-1"}, "session s-1 is active on post-1/1"),
    ]
    for kwargs, detail in cases:
        answer = shed.start(**kwargs)
        assert answer.result.status == "rejected" and detail in answer.result.detail, answer
    shed.sock(2).trip = "over_power"
    assert "tripped (over_power)" in shed.start(socket=2, session="s-3").result.detail
    shed.sock(3).post_fault = True
    assert "faulted" in shed.start(socket=3, session="s-4").result.detail
    shed.state.devices["post-1"].online = False
    assert "offline" in shed.start(socket=4, session="s-5").result.detail
    assert not [s for s in shed.events(SessionStarted) if s.session != "s-1"]


def test_start_needs_a_plausible_clock_and_an_unexpired_command() -> None:
    shed = authorised()
    assert shed.command("start_session", wall=0, device="post-1", socket=1, session="s-1").result.status == "rejected"
    shed.seq += 1
    late = Command(
        src="cloud", seq=shed.seq, ts=T0, request_id="c-late", expires_at=T0 - 1, actor="resident:u-1",
        action="start_session", device="post-1", socket=1, session="s-1",
    )  # fmt: skip
    (answer,) = [a for a in shed.feed(CommandIn(late)) if isinstance(a, Answer)]
    assert answer.result.status == "expired"
    assert not shed.state.sessions and not shed.relays()


def test_stop_ends_cuts_and_is_idempotent() -> None:
    shed = charging()
    shed.advance(30)
    shed.reading(200.0, wh=1.5)
    answer = shed.command("stop_session", session="s-1")
    assert answer.result.status == "applied" and "1.5 Wh in 30 s" in answer.result.detail
    (end,) = ended(shed)
    assert (end.reason.value, end.energy_wh, end.duration_s) == ("stopped", 1.5, 30.0)
    assert (shed.relays()[-1].on, shed.relays()[-1].reason) == (False, "session_stop")
    assert not shed.state.sessions and shed.sock().charge is None
    assert shed.command("stop_session", session="s-1").result.detail == "session s-1 already ended (stopped)"
    assert shed.command("stop_session", session="nope").result.status == "applied"
    restart = shed.start()
    assert restart.result.status == "rejected" and "already ended (stopped)" in restart.result.detail
    assert len(ended(shed)) == 1


def test_a_stop_session_past_its_expiry_still_ends_the_session_and_cuts() -> None:
    # The cloud ended the session while the edge was offline; its stop arrives after expires_at (held by the
    # broker): it must still cut, or the socket charges on unbilled.
    shed = charging()
    shed.advance(30)
    shed.seq += 1
    late = Command(
        src="cloud", seq=shed.seq, ts=T0, request_id="c-late", expires_at=T0 - 1, actor="cloud",
        action="stop_session", session="s-1",
    )  # fmt: skip
    (answer,) = [a for a in shed.feed(CommandIn(late)) if isinstance(a, Answer)]
    assert answer.result.status == "applied"
    assert [e.reason.value for e in ended(shed)] == ["stopped"]
    assert not shed.relays()[-1].on and not shed.state.sessions
    late_start = late.model_copy(update={"request_id": "c-late-2", "action": "start_socket", "device": "post-1"})
    (answer,) = [a for a in shed.feed(CommandIn(late_start)) if isinstance(a, Answer)]
    assert answer.result.status == "expired"  # only the stop is exempt: anything else stale is still refused


def test_stop_naming_another_socket_is_rejected() -> None:
    shed = charging()
    answer = shed.command("stop_session", session="s-1", device="post-1", socket=2)
    assert answer.result.status == "rejected" and shed.state.sessions


# --- enforcement ------------------------------------------------------------------------------------------------


def test_without_a_session_a_closed_relay_is_opened_and_the_status_stays_plugged() -> None:
    shed = authorised()
    shed.reading(150.0)  # a post that switches on at plug-in
    assert [(r.on, r.reason) for r in shed.relays()] == [(False, "no_session")]
    refused = [e for e in shed.events(InterlockAction) if e.reason == "no_session"]
    assert [(e.action, e.scope) for e in refused] == [("refuse", "socket")]
    assert shed.sock().status is SocketStatus.PLUGGED and shed.sock().session_id is None
    shed.reading(150.0)  # still closed: said again, reported once
    assert len([e for e in shed.events(InterlockAction) if e.reason == "no_session"]) == 1
    shed.confirm()
    shed.reading(relay=False)
    assert shed.start().result.status == "applied"  # a session lifts the refusal
    assert shed.relays()[-1].on


def test_energy_limit_ends_the_session_with_the_metered_energy() -> None:
    shed = charging({"limit_wh": 10.0})
    for _ in range(3):
        shed.advance(10)
        shed.reading(200.0, wh=3.0)
    assert not ended(shed)
    shed.advance(10)
    shed.reading(200.0, wh=3.0)
    (end,) = ended(shed)
    assert (end.reason.value, end.energy_wh) == ("limit_energy", 12.0)
    assert shed.relays()[-1].reason == "limit_energy" and not shed.relays()[-1].on


def test_time_limit_is_judged_on_the_monotonic_clock() -> None:
    shed = charging({"limit_s": 120.0}, {"sample_interval_s": 1000})  # silent post: not stale within the test
    shed.feed(Tick(), at_s=119.9, wall=T0 + 10 * 3_600_000)  # the wall clock jumping means nothing
    assert not ended(shed)
    shed.feed(Tick(), at_s=120.0, wall=0)
    (end,) = ended(shed)
    assert (end.reason.value, end.duration_s) == ("limit_time", 120.0)


def test_full_ends_the_session_and_cuts_without_the_float() -> None:
    shed = charging()
    for t in range(10, 200, 10):
        shed.feed(Tick(), at_s=t)
        shed.reading(200.0 if t < 60 else 5.0, wh=0.5)
        if ended(shed):
            break
    assert t == 90  # low from 60 s, held full_hold_s (30 s)
    (end,) = ended(shed)
    assert end.reason.value == "full"
    assert (shed.relays()[-1].on, shed.relays()[-1].reason) == (False, "full")
    shed.confirm()
    shed.reading(relay=False)
    assert shed.sock().status is SocketStatus.FULL


def test_unplug_ends_the_session() -> None:
    shed = charging()
    shed.advance(10)
    shed.reading(relay=True, plug=Plug.EMPTY)
    (end,) = ended(shed)
    assert end.reason.value == "unplugged"


def test_a_session_never_plugged_in_ends_unplugged_after_the_window() -> None:
    shed = authorised({"unplugged_window_s": 60, "sample_interval_s": 1000})
    shed.reading(relay=False, plug=Plug.EMPTY)
    shed.start()
    shed.confirm()
    shed.reading(relay=True, plug=Plug.EMPTY)
    shed.feed(Tick(), at_s=59)
    assert not ended(shed)
    shed.feed(Tick(), at_s=60)
    assert ended(shed)[0].reason.value == "unplugged"


def test_safety_cuts_and_faults_end_sessions_with_their_reason() -> None:
    over = charging()
    over.advance(10)
    over.reading(1500.0)  # over power: a latched trip
    assert ended(over)[0].reason.value == "interlock"
    stale = charging()
    stale.feed(Tick(), at_s=31)  # 3 sample intervals silent: unsupervised
    assert ended(stale)[0].reason.value == "fault"
    faulted = charging()
    faulted.advance(10)
    faulted.reading(0.0, plug=Plug.FAULT)
    assert ended(faulted)[0].reason.value == "fault"
    stopped = charging()
    stopped.command("stop_socket", device="post-1", socket=1)
    assert ended(stopped)[0].reason.value == "interlock"
    assert len([r for r in stopped.relays() if not r.on]) == 1  # one cut: the session end adds none


def test_meter_events_every_minute_of_monotonic_time() -> None:
    shed = charging()
    for t in range(10, 190, 10):
        shed.advance(10)
        shed.reading(240.0, wh=240 * 10 / 3600)
        shed.feed(Tick(), at_s=t)
    meters = shed.events(SessionMeter)
    assert [m.duration_s for m in meters] == [60.0, 120.0, 180.0]
    assert [round(m.energy_wh, 6) for m in meters] == [4.0, 8.0, 12.0]
    stored = [a.record for a in shed.actions if isinstance(a, SaveSession) and a.active]
    assert stored[-1]["energy_wh"] == meters[-1].energy_wh
    # besides the start and each meter event, a checkpoint every 10 s of ticks: a SIGKILL loses at most 10 s
    times = [r["duration_s"] for r in stored]
    assert times[0] == 0.0 and times[-1] == 180.0
    assert max(b - a for a, b in pairwise(times)) <= 10.0


def test_a_config_that_opens_the_shed_or_drops_the_post_removes_sessions() -> None:
    for change in ({"mode": "open"}, {"posts": [{"id": "post-2", "sockets": 4}]}):
        shed = charging()
        config = shed.state.config.model_dump() | {"version": 2} | change
        answer = shed.command("push_config", config=ShedConfig.model_validate(config, strict=False))
        assert answer.result.status == "applied"
        assert [e.reason.value for e in ended(shed)] == ["removed"]
        assert not shed.relays()[-1].on


# --- restart -------------------------------------------------------------------------------------------------


def test_a_restored_session_keeps_its_time_and_energy_and_its_limits() -> None:
    before = charging({"limit_s": 300.0, "limit_wh": 50.0})
    before.advance(180)
    before.reading(200.0, wh=20.0)
    record = [a.record for a in before.actions if isinstance(a, SaveSession)][-1]
    assert (record["duration_s"], record["energy_wh"]) == (180.0, 20.0)  # stored with the meter event
    # a new agent (monotonic clock restarted), the post's relay opened by its watchdog meanwhile
    shed = authorised({"sample_interval_s": 1000})
    assert restore(shed.state, [record], [("s-0", "full")], T0) == 1
    shed.reading(relay=False, wh=record["counter_wh"] + 5.0)
    assert [(r.on, r.reason) for r in shed.relays()] == [(True, "session_resume")]
    shed.confirm()
    assert shed.state.sessions["s-1"].energy_wh == 25.0  # what was drawn while the edge was down counts
    assert "already ended (full)" in shed.start(session="s-0").result.detail
    shed.feed(Tick(), at_s=119.999)
    assert not ended(shed)
    shed.feed(Tick(), at_s=120)
    (end,) = ended(shed)
    assert (end.reason.value, end.duration_s, end.energy_wh) == ("limit_time", 300.0, 25.0)


def test_a_socket_unplugged_while_the_edge_was_down_ends_unplugged() -> None:
    rec = ChargeSession("s-1", "post-1", 1, None, None, energy_wh=3.0, counter_wh=3.0, plugged_seen=True).record(0)
    shed = authorised()
    restore(shed.state, [rec], [], T0)
    shed.report(1, 0.0, relay=False, plug=Plug.EMPTY, counter=3.0)
    (end,) = ended(shed)
    assert (end.reason.value, end.energy_wh) == ("unplugged", 3.0)


# --- properties -----------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    limit_wh=st.floats(0.5, 100, allow_nan=False),
    steps=st.lists(st.tuples(st.floats(0, 20, allow_nan=False), st.booleans()), min_size=1, max_size=40),
)
def test_energy_limit_ends_at_the_first_reading_that_reaches_it(
    limit_wh: float, steps: list[tuple[float, bool]]
) -> None:
    shed = charging({"limit_wh": limit_wh})
    counter, total, expected_end = shed.counter.get(1, 0.0), 0.0, None
    for i, (d, reboot) in enumerate(steps):
        counter = (0.0 if reboot and d < counter else counter) + d
        total += d
        shed.advance(5)
        shed.report(1, 200.0, relay=expected_end is None, plug=Plug.PLUGGED, counter=counter)
        if expected_end is None and total >= limit_wh:
            expected_end = i
        assert bool(ended(shed)) == (expected_end is not None), (i, total, limit_wh)
    if expected_end is not None:
        (end,) = ended(shed)
        assert end.reason.value == "limit_energy" and end.energy_wh >= limit_wh
        assert abs(end.energy_wh - sum(d for d, _ in steps[: expected_end + 1])) < 1e-6


@settings(max_examples=60, deadline=None)
@given(limit_s=st.floats(1, 3000, allow_nan=False), gaps=st.lists(st.integers(1, 400_000), min_size=1, max_size=30))
def test_time_limit_ends_at_the_first_tick_past_it(limit_s: float, gaps: list[int]) -> None:
    shed = charging({"limit_s": limit_s}, {"sample_interval_s": 10_000, "heartbeat_s": 10_000})
    for gap in gaps:
        shed.now += gap
        shed.feed(Tick())
        assert bool(ended(shed)) == ((shed.now - T0) / 1000 >= limit_s)  # the session started at T0
    if ended(shed):
        end = ended(shed)[0]
        assert end.reason.value == "limit_time" and end.duration_s >= limit_s


def test_every_session_interlock_and_relay_reason_is_documented() -> None:
    reasons = set(CUT_REASON.values()) | {"no_session", "session_start"}
    assert reasons <= set(INTERLOCK_REASONS), reasons - set(INTERLOCK_REASONS)


def test_start_socket_in_an_authorised_shed_lifts_the_stop_but_switches_nothing_on() -> None:
    shed = authorised()
    shed.reading(relay=False)
    shed.command("stop_socket", device="post-1", socket=1)
    assert "stopped by an operator" in shed.start().result.detail
    answer = shed.command("start_socket", device="post-1", socket=1)
    assert answer.result.status == "applied" and "charging session" in answer.result.detail
    assert not [r for r in shed.relays() if r.on]
    assert shed.start(session="s-2").result.status == "applied" and shed.relays()[-1].on
