"""The charging-session state machine: every way a session starts, runs and ends; restarts; wallet rules."""

import json
from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.core.charging.machine import (
    Cut,
    EdgeResult,
    Energise,
    Event,
    MeterReading,
    Notice,
    Notify,
    Refusal,
    Settle,
    SocketSeen,
    StopRequest,
    Tick,
    decide,
    open_session,
)
from cloud.core.charging.model import EndReason, Limit, Session, SessionStatus, ShedMode, SocketRef
from cloud.core.charging.policy import SessionPolicy
from cloud.core.charging.wallet import WalletError, affordable_limit, credit, settle
from cloud.core.tariff.cost import cost
from cloud.core.tariff.metering import intervals_from_readings
from cloud.core.tariff.model import Billing, Period, PowerBand, Tariff, TimeBand
from protocol.uplink import SocketStatus

P, F, V = Period.PEAK, Period.FLAT, Period.VALLEY
TARIFF = Tariff(
    "c1",
    (TimeBand(time(7), F), TimeBand(time(18), P), TimeBand(time(21), F), TimeBand(time(23), V)),
    per_kwh={P: 1.2, F: 0.6, V: 0.3},
)
POLICY = SessionPolicy()
SOCKET = SocketRef("shed-a", "post-1", 3)
T0 = 1_772_445_600_000  # 2026-03-02 18:00 Asia/Shanghai: peak
MIN = 60_000


def start(**over: object) -> tuple[Session, list[object]]:
    kwargs: dict[str, object] = {
        "session_id": "s1",
        "user_id": "alice",
        "community": "c1",
        "qr_id": "QR-A-1-3",
        "socket": SOCKET,
        "mode": ShedMode.AUTHORISED,
        "socket_status": SocketStatus.PLUGGED,
        "socket_busy": False,
        "limit": Limit(max_wh=800),
        "balance_fen": 2000,
        "tariff": TARIFF,
        "policy": POLICY,
        "now_ms": T0,
    }
    kwargs.update(over)
    result = open_session(**kwargs)  # type: ignore[arg-type]
    assert not isinstance(result, Refusal), result
    return result  # type: ignore[return-value]


def run(session: Session, events: list[tuple[int, Event]]) -> tuple[Session, list[object]]:
    actions: list[object] = []
    for now, event in events:
        session, acts = decide(session, event, tariff=TARIFF, policy=POLICY, now_ms=now)
        actions += acts
    return session, actions


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"mode": ShedMode.OPEN}, "open_shed"),
        ({"socket_busy": True}, "socket_busy"),
        ({"socket_stopped": True}, "socket_stopped"),
        ({"socket_stopped": True, "socket_status": SocketStatus.PLUGGED}, "socket_stopped"),
        ({"socket_status": SocketStatus.CHARGING}, "socket_charging"),
        ({"socket_status": SocketStatus.FULL}, "socket_full"),
        ({"socket_status": SocketStatus.FAULTED}, "socket_faulted"),
        ({"balance_fen": 99}, "insufficient_balance"),
    ],
)
def test_a_session_is_refused_where_it_cannot_start(over: dict[str, object], code: str) -> None:
    kwargs: dict[str, object] = {
        "session_id": "s1", "user_id": "alice", "community": "c1", "qr_id": "q", "socket": SOCKET,
        "mode": ShedMode.AUTHORISED, "socket_status": SocketStatus.FREE, "socket_busy": False,
        "limit": Limit(max_s=3600), "balance_fen": 1000, "tariff": TARIFF, "policy": POLICY, "now_ms": T0,
    }  # fmt: skip
    kwargs.update(over)
    refusal = open_session(**kwargs)  # type: ignore[arg-type]
    assert isinstance(refusal, Refusal) and refusal.code == code


def test_starting_sends_one_energise_with_the_limit_capped_by_the_wallet() -> None:
    session, actions = start(limit=Limit(max_s=4 * 3600), balance_fen=300)
    assert session.status is SessionStatus.REQUESTED and session.qr_id == "QR-A-1-3"
    # 3 yuan at the highest price (1.2 yuan/kWh) pays 2.5 kWh: that becomes the energy cap.
    (energise,) = actions
    assert isinstance(energise, Energise) and energise.socket == SOCKET and energise.expires_ms == T0 + 60_000
    assert energise.limit.max_s == 4 * 3600 and energise.limit.max_wh == pytest.approx(2500)
    long, _ = start(limit=Limit(max_s=48 * 3600))
    assert long.limit.max_s == 12 * 3600  # never past the longest session


def test_a_session_charges_to_full_and_is_billed_by_the_tariff() -> None:
    session, _ = start()
    readings = [(T0 + (1 + 10 * i) * MIN, 1000.0 + 30.0 * i) for i in range(25)]  # 180 W for 4 h, from 18:01
    events: list[tuple[int, Event]] = [(T0 + 2000, EdgeResult(ok=True))]
    events += [(ts, MeterReading(ts, wh)) for ts, wh in readings]
    events.append((T0 + 250 * MIN, SocketSeen(SocketStatus.FULL)))
    session, actions = run(session, events)
    assert session.status is SessionStatus.ENDED and session.end_reason is EndReason.FULL
    assert session.energy_wh == pytest.approx(720)
    # 18:01-21:00 peak (179 min = 537 Wh at 1.2), 21:00-22:01 flat (61 min = 183 Wh at 0.6).
    assert session.cost_yuan == pytest.approx(0.537 * 1.2 + 0.183 * 0.6)
    assert session.cost_by_period[P] == pytest.approx(0.537 * 1.2)
    assert actions == [
        Notify("alice", "s1", Notice.FINISHED, EndReason.FULL),
        Settle("alice", "s1", session.cost_yuan),
    ]


def test_the_energy_limit_ends_the_session_with_a_cut() -> None:
    session, _ = start(limit=Limit(max_wh=100))
    events: list[tuple[int, Event]] = [(T0, EdgeResult(ok=True))]
    events += [(T0 + i * MIN, MeterReading(T0 + i * MIN, 3.0 * i)) for i in range(1, 40)]
    session, actions = run(session, events)
    assert session.end_reason is EndReason.ENERGY_LIMIT and 100 <= session.energy_wh < 103
    assert actions[0] == Cut(SOCKET, "s1", "session_end")
    assert isinstance(actions[1], Notify) and actions[1].notice == Notice.ENDED


def test_the_time_limit_ends_the_session_on_the_holders_clock() -> None:
    session, _ = start(limit=Limit(max_s=3600))
    session, actions = run(session, [(T0 + 1000, EdgeResult(ok=True)), (T0 + 3_600_999, Tick())])
    assert session.open and actions == []
    session, actions = run(session, [(T0 + 3_601_000, Tick())])
    assert session.end_reason is EndReason.TIME_LIMIT and actions[0] == Cut(SOCKET, "s1", "session_end")


@pytest.mark.parametrize(
    ("event", "reason", "cut", "notice"),
    [
        (StopRequest(), EndReason.RESIDENT_STOP, "resident_stop", Notice.ENDED),
        (StopRequest(by_staff=True), EndReason.STAFF_STOP, "operator_stop", Notice.STOPPED),
        (SocketSeen(SocketStatus.FREE), EndReason.UNPLUGGED, None, Notice.ENDED),
        (SocketSeen(SocketStatus.FAULTED, "over_temperature"), EndReason.FAULT, None, Notice.STOPPED),
    ],
)
def test_every_way_an_active_session_ends(event: Event, reason: EndReason, cut: str | None, notice: Notice) -> None:
    session, _ = start()
    session, actions = run(session, [(T0, EdgeResult(ok=True)), (T0 + MIN, event)])
    assert session.end_reason is reason and session.ended_ms == T0 + MIN
    cuts = [a for a in actions if isinstance(a, Cut)]
    assert cuts == ([Cut(SOCKET, "s1", cut)] if cut else [])
    notify = next(a for a in actions if isinstance(a, Notify))
    assert notify.notice == notice and notify.detail == getattr(event, "detail", "")


def test_a_refusal_by_the_edge_ends_the_session_unbilled_and_says_why() -> None:
    session, _ = start()
    session, actions = run(session, [(T0 + 1000, EdgeResult(ok=False, error="socket fault: short_circuit"))])
    assert session.end_reason is EndReason.REFUSED and session.end_detail == "socket fault: short_circuit"
    assert actions == [
        Notify("alice", "s1", Notice.STOPPED, EndReason.REFUSED, "socket fault: short_circuit"),
        Settle("alice", "s1", 0.0),
    ]


def test_no_confirmation_in_time_ends_with_a_cut_and_a_late_confirmation_is_cut_again() -> None:
    session, _ = start()
    session, actions = run(session, [(T0 + 59_999, Tick())])
    assert session.open and not actions
    session, actions = run(session, [(T0 + 60_000, Tick())])
    assert session.end_reason is EndReason.NOT_CONFIRMED and actions[0] == Cut(SOCKET, "s1", "session_end")
    session, actions = run(session, [(T0 + 90_000, EdgeResult(ok=True))])
    assert session.status is SessionStatus.ENDED and actions == [Cut(SOCKET, "s1", "session_end")]


def test_a_requested_session_ignores_free_and_plugged_but_ends_on_a_fault() -> None:
    session, _ = start()
    session, actions = run(session, [(T0, SocketSeen(SocketStatus.FREE)), (T0, SocketSeen(SocketStatus.PLUGGED))])
    assert session.status is SessionStatus.REQUESTED and not actions
    session, _ = run(session, [(T0, SocketSeen(SocketStatus.FAULTED))])
    assert session.end_reason is EndReason.FAULT


def test_replayed_readings_count_once_and_a_post_reboot_keeps_the_energy() -> None:
    session, _ = start()
    r = [MeterReading(T0 + i * MIN, wh) for i, wh in enumerate([500.0, 510.0, 520.0, 4.0, 9.0])]
    events: list[tuple[int, Event]] = [(T0, EdgeResult(ok=True))]
    events += [(T0, x) for x in [r[0], r[1], r[1], r[0], r[2], r[3], r[2], r[4], MeterReading(T0 + 9 * MIN, -1.0)]]
    session, _ = run(session, events)
    assert session.energy_wh == pytest.approx(10 + 10 + 4 + 5)  # the reboot's first reading is energy since it
    assert session.last_counter_wh == 9.0


def test_an_ended_session_changes_no_more_and_is_cut_again_while_the_edge_meters_it() -> None:
    session, _ = start()
    ended, _ = run(session, [(T0, EdgeResult(ok=True)), (T0 + MIN, StopRequest())])
    again, actions = run(ended, [(T0 + 2 * MIN, StopRequest())])
    assert again == ended and actions == []
    # The edge still meters it (its stop was lost while it was offline): nothing is billed, the socket is cut again.
    again, actions = run(ended, [(T0 + 2 * MIN, MeterReading(T0 + 2 * MIN, 9e3))])
    assert again == ended
    assert [(type(a).__name__, getattr(a, "session_id", None)) for a in actions] == [("Cut", ended.session_id)]


readings_st = st.lists(st.tuples(st.integers(1, 30 * MIN), st.floats(0, 200)), min_size=1, max_size=30)


def _events(steps: list[tuple[int, float]]) -> list[tuple[int, Event]]:
    events: list[tuple[int, Event]] = [(T0, EdgeResult(ok=True))]
    t, counter = T0, 0.0
    for gap, wh in steps:
        t += gap
        counter += wh
        events.append((t, MeterReading(t, counter)))
    return events


@given(readings_st, st.integers(0, 31))
def test_a_session_restored_from_its_record_continues_exactly(steps: list[tuple[int, float]], cut_at: int) -> None:
    policy = SessionPolicy(max_session_s=10 * 86400)
    events = _events(steps)
    session, _ = start(limit=Limit(max_wh=1e9), balance_fen=10**9)
    straight, restored = session, session
    for i, (now, event) in enumerate(events):
        straight, _ = decide(straight, event, tariff=TARIFF, policy=policy, now_ms=now)
        if i == cut_at:  # a restart: the holder reloads the session from its stored JSON
            restored = Session.from_dict(json.loads(json.dumps(restored.to_dict())))
        restored, _ = decide(restored, event, tariff=TARIFF, policy=policy, now_ms=now)
    assert restored == straight


@given(readings_st)
def test_the_session_cost_is_the_tariff_cost_of_its_readings(steps: list[tuple[int, float]]) -> None:
    policy = SessionPolicy(max_session_s=10 * 86400)
    session, _ = start(limit=Limit(max_wh=1e9), balance_fen=10**9)
    for now, event in _events(steps):
        session, _ = decide(session, event, tariff=TARIFF, policy=policy, now_ms=now)
    readings = [(e.ts_ms, e.counter_wh) for _, e in _events(steps) if isinstance(e, MeterReading)]
    expected = cost(intervals_from_readings(readings).intervals, TARIFF)
    assert session.cost_yuan == pytest.approx(expected.yuan, rel=1e-9, abs=1e-12)
    assert session.energy_wh == pytest.approx(readings[-1][1] - readings[0][1], abs=1e-9)


def test_settling_rounds_half_up_and_never_takes_the_balance_below_zero() -> None:
    s = settle(1000, 2.345)
    assert (s.charged_fen, s.unpaid_fen, s.balance_fen) == (235, 0, 765)
    s = settle(100, 1.234)
    assert (s.charged_fen, s.unpaid_fen, s.balance_fen) == (100, 23, 0)
    with pytest.raises(WalletError):
        settle(100, -0.5)


def test_credits_are_positive_and_bounded() -> None:
    assert credit(0, 5000, POLICY) == 5000
    for bad in (0, -1, POLICY.max_credit_fen + 1):
        with pytest.raises(WalletError):
            credit(0, bad, POLICY)


def test_per_hour_billing_caps_the_time_a_balance_pays_for() -> None:
    by_power = Tariff(
        "c1",
        (TimeBand(time(0), F),),
        billing=Billing.TIME_BY_POWER,
        power_bands=(PowerBand(200, {F: 0.25}), PowerBand(float("inf"), {F: 1.0})),
    )
    capped = affordable_limit(Limit(max_wh=2000), 200, by_power, POLICY)
    assert capped.max_s == pytest.approx(2 * 3600) and capped.max_wh == 2000  # 2 yuan at the top 1 yuan/h


prices = st.floats(0.01, 5.0)


@given(st.integers(100, 10**7), prices, prices, prices, st.one_of(st.none(), st.floats(1, 1e5)))
def test_a_capped_limit_never_costs_more_than_the_balance(
    balance: int, peak: float, flat: float, valley: float, wanted_wh: float | None
) -> None:
    tariff = Tariff("c1", TARIFF.schedule, per_kwh={P: peak, F: flat, V: valley})
    capped = affordable_limit(Limit(max_s=3600, max_wh=wanted_wh), balance, tariff, POLICY)
    assert capped.max_wh is not None and capped.max_wh / 1000 * max(peak, flat, valley) <= balance / 100 * (1 + 1e-12)
    if wanted_wh is not None:
        assert capped.max_wh <= wanted_wh
    by_power = Tariff(
        "c1",
        TARIFF.schedule,
        billing=Billing.TIME_BY_POWER,
        power_bands=(PowerBand(float("inf"), {P: peak, F: peak, V: peak}),),
    )
    timed = affordable_limit(Limit(max_s=48 * 3600), balance, by_power, POLICY)
    assert timed.max_s is not None and timed.max_s / 3600 * peak <= balance / 100 * (1 + 1e-12)
    assert timed.max_s <= POLICY.max_session_s
