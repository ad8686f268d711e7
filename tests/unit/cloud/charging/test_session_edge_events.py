"""The edge's session events as machine events: billing what the edge metered, end reasons, notices, texts."""

from datetime import time

import pytest

from cloud.core.charging.edge_events import BadSessionEvent, end_reason, machine_events, reading_ts, wire_limit
from cloud.core.charging.machine import Cut, EdgeEnded, EdgeResult, MeterReading, Notice, Notify, Settle, decide
from cloud.core.charging.model import EndReason, Limit, Session, SessionStatus, SocketRef
from cloud.core.charging.notices import (
    ReminderPolicy,
    free_notice_due,
    free_text,
    opted_in,
    reminders_due,
    session_text,
)
from cloud.core.charging.policy import SessionPolicy
from cloud.core.tariff.model import Period, Tariff, TimeBand

P, F, V = Period.PEAK, Period.FLAT, Period.VALLEY
TARIFF = Tariff(
    "c1", (TimeBand(time(7), F), TimeBand(time(18), P), TimeBand(time(23), V)), per_kwh={P: 1.2, F: 0.6, V: 0.3}
)
T0 = 1_772_445_600_000  # 2026-03-02 18:00 Asia/Shanghai: peak
MIN = 60_000


def session() -> Session:
    return Session("s1", "alice", "c1", "QR-1", SocketRef("shed-a", "post-1", 3), Limit(max_s=3600), requested_ms=T0)


def run(
    s: Session, kind: str, body: dict[str, object], rx: int, stop_by: str | None = None
) -> tuple[Session, list[object]]:
    actions: list[object] = []
    at = reading_ts(body, rx, s.last_reading_ms)  # as the service applies them: at the edge's time
    for event in machine_events(kind, body, received_ms=rx, last_reading_ms=s.last_reading_ms, stop_by=stop_by):
        s, more = decide(s, event, tariff=TARIFF, policy=SessionPolicy(), now_ms=at)
        actions += more
    return s, actions


def test_the_edge_metered_energy_is_billed_from_its_start_and_split_at_the_tariff_boundary() -> None:
    s, _ = run(session(), "session_started", {"ts": T0 - 30 * MIN, "session": "s1"}, T0 - 30 * MIN)
    assert s.status is SessionStatus.ACTIVE and s.last_counter_wh == 0.0
    s, _ = run(s, "session_meter", {"ts": T0, "energy_wh": 100.0}, T0)  # 17:30-18:00 flat
    s, actions = run(s, "session_ended", {"ts": T0 + 30 * MIN, "energy_wh": 300.0, "reason": "full"}, T0 + 30 * MIN)
    assert s.status is SessionStatus.ENDED and s.end_reason is EndReason.FULL
    assert s.energy_wh == pytest.approx(300.0)
    assert s.cost_yuan == pytest.approx(0.1 * 0.6 + 0.2 * 1.2)
    assert s.cost_by_period[F] == pytest.approx(0.06) and s.cost_by_period[P] == pytest.approx(0.24)
    # The edge already opened the relay: no cut; the resident is told, the wallet settled.
    assert not any(isinstance(a, Cut) for a in actions)
    notify = next(a for a in actions if isinstance(a, Notify))
    assert notify.notice is Notice.FINISHED
    assert next(a for a in actions if isinstance(a, Settle)).cost_yuan == pytest.approx(0.30)


def test_a_suspect_clock_uses_the_arrival_and_readings_of_one_instant_still_count() -> None:
    assert reading_ts({"ts": 5, "clock_suspect": True}, 1000, None) == 1000
    assert reading_ts({"ts": 900}, 1000, None) == 900
    assert reading_ts({"ts": 900}, 1000, 900) == 901  # two events in the same ms: both applied
    s, _ = run(session(), "session_started", {"ts": T0, "clock_suspect": True}, T0)
    s, _ = run(s, "session_meter", {"ts": 1, "energy_wh": 50.0, "clock_suspect": True}, T0)  # same arrival ms
    assert s.energy_wh == pytest.approx(50.0)


def test_events_held_through_a_cloud_outage_bill_and_end_as_they_happened_at_the_edge() -> None:
    late = T0 + 5 * 3_600_000  # everything arrives five hours later, past the session's one-hour limit
    s, _ = run(session(), "session_started", {"ts": T0}, late)
    for m in range(1, 4):
        s, _ = run(s, "session_meter", {"ts": T0 + m * 10 * MIN, "energy_wh": 50.0 * m}, late)
    s, _ = run(s, "session_ended", {"ts": T0 + 40 * MIN, "energy_wh": 190.0, "reason": "full"}, late)
    assert s.end_reason is EndReason.FULL and s.energy_wh == pytest.approx(190.0)
    assert s.ended_ms == T0 + 40 * MIN and s.cost_yuan == pytest.approx(0.19 * 1.2)


@pytest.mark.parametrize(
    ("edge", "stop_by", "reason", "notice"),
    [
        ("full", None, EndReason.FULL, Notice.FINISHED),
        ("unplugged", None, EndReason.UNPLUGGED, Notice.ENDED),
        ("stopped", "resident", EndReason.RESIDENT_STOP, Notice.ENDED),
        ("stopped", "staff", EndReason.STAFF_STOP, Notice.STOPPED),
        ("stopped", None, EndReason.STAFF_STOP, Notice.STOPPED),
        ("limit_energy", None, EndReason.ENERGY_LIMIT, Notice.ENDED),
        ("limit_time", None, EndReason.TIME_LIMIT, Notice.ENDED),
        ("interlock", None, EndReason.FAULT, Notice.STOPPED),
        ("fault", None, EndReason.FAULT, Notice.STOPPED),
        ("removed", None, EndReason.FAULT, Notice.STOPPED),
    ],
)
def test_every_edge_end_reason(edge: str, stop_by: str | None, reason: EndReason, notice: Notice) -> None:
    s, _ = run(session(), "session_started", {"ts": T0}, T0)
    s, actions = run(s, "session_ended", {"ts": T0 + MIN, "energy_wh": 5.0, "reason": edge}, T0 + MIN, stop_by)
    assert s.end_reason is reason
    assert next(a for a in actions if isinstance(a, Notify)).notice is notice
    if edge == "interlock":
        assert "interlock" in s.end_detail


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("session_ended", {"ts": T0, "energy_wh": 1.0, "reason": "exploded"}),
        ("session_meter", {"ts": T0}),
        ("session_meter", {"ts": T0, "energy_wh": "lots"}),
        ("session_other", {"ts": T0}),
        ("session_started", {}),
    ],
)
def test_a_bad_stored_event_is_refused_with_a_reason(kind: str, body: dict[str, object]) -> None:
    with pytest.raises(BadSessionEvent):
        machine_events(kind, body, received_ms=T0, last_reading_ms=None, stop_by=None)


def test_edge_ended_on_a_requested_session_and_a_late_confirmation_is_cut() -> None:
    s, actions = decide(session(), EdgeEnded(EndReason.FAULT, "x"), tariff=TARIFF, policy=SessionPolicy(), now_ms=T0)
    assert s.status is SessionStatus.ENDED and not any(isinstance(a, Cut) for a in actions)
    _, again = decide(s, EdgeResult(ok=True), tariff=TARIFF, policy=SessionPolicy(), now_ms=T0 + 1)
    assert [type(a) for a in again] == [Cut]
    s2, _ = decide(s, MeterReading(T0 + 5, 10.0), tariff=TARIFF, policy=SessionPolicy(), now_ms=T0 + 5)
    assert s2 == s  # an ended session bills nothing more


def test_end_reason_names_unknown_reasons() -> None:
    with pytest.raises(BadSessionEvent, match="nope"):
        end_reason("nope", None)


def test_reminders_come_every_interval_up_to_the_limit() -> None:
    policy = ReminderPolicy(reminders=3, reminder_s=900)
    assert reminders_due(T0, 0, T0 + 899_000, policy) == 0
    assert reminders_due(T0, 0, T0 + 900_000, policy) == 1
    assert reminders_due(T0, 1, T0 + 2_700_000, policy) == 3
    assert reminders_due(T0, 0, T0 + 100 * 900_000, policy) == 3
    assert reminders_due(T0, 2, T0, policy) == 2  # never fewer than already queued


def test_free_socket_notices_are_rate_limited_per_shed() -> None:
    policy = ReminderPolicy(free_every_s=900)
    assert free_notice_due(0, T0, policy)
    assert not free_notice_due(T0, T0 + 899_000, policy)
    assert free_notice_due(T0, T0 + 900_000, policy)
    assert free_text("shed-a", 2).body == "2 sockets are free in shed shed-a now."


def test_texts_say_where_why_energy_and_cost_and_opt_ins_choose_the_kind() -> None:
    s, _ = run(session(), "session_started", {"ts": T0}, T0)
    s, _ = run(s, "session_ended", {"ts": T0 + MIN, "energy_wh": 1500.0, "reason": "interlock"}, T0 + MIN)
    text = session_text(s, Notice.STOPPED, cost_fen=180)
    assert "stopped because the socket faulted (a safety interlock" in text.body
    assert "1.50 kWh, 1.80 yuan" in text.body and "Ref: s1" in text.body
    assert session_text(s, "reminder", cost_fen=0).title.startswith("Reminder")
    assert opted_in(Notice.FINISHED, finished=True, stopped=False)
    assert not opted_in(Notice.STOPPED, finished=True, stopped=False)
    assert opted_in(Notice.ENDED, finished=False, stopped=True)


def test_the_limit_sent_to_the_edge_fits_the_command() -> None:
    assert wire_limit(Limit(max_s=43_200, max_wh=3_333_333.3)) == Limit(max_s=43_200, max_wh=20_000)
    assert wire_limit(Limit(max_s=90_000)) == Limit(max_s=86_400)
    assert wire_limit(Limit(max_wh=500)) == Limit(max_wh=500)


@pytest.mark.parametrize("reason", ["resident_stop", "staff_stop", "not_confirmed", "full"])
def test_an_edge_still_reporting_an_ended_session_is_cut_again_and_billed_nothing(reason: str) -> None:
    s, _ = run(session(), "session_started", {"ts": T0, "session": "s1"}, T0)
    s, _ = run(s, "session_meter", {"ts": T0 + MIN, "energy_wh": 10.0}, T0 + MIN)
    s = s.evolve(status=SessionStatus.ENDED, ended_ms=T0 + MIN, end_reason=EndReason(reason))
    for kind, body in (
        ("session_meter", {"ts": T0 + 2 * MIN, "energy_wh": 13.5}),  # the edge resumed it after a restart
        ("session_started", {"ts": T0 + 2 * MIN, "session": "s1"}),
    ):
        after, actions = run(s, kind, body, T0 + 2 * MIN)
        assert actions and all(isinstance(a, Cut) and a.session_id == "s1" for a in actions) and after == s
    _, actions = run(s, "session_ended", {"ts": T0 + 3 * MIN, "energy_wh": 14.0, "reason": "full"}, T0 + 3 * MIN)
    assert actions == []  # the edge's own end needs no cut


def test_a_refusal_is_told_to_the_resident_in_plain_words_not_the_edges_staff_wording() -> None:
    s = session().evolve(
        status=SessionStatus.ENDED,
        ended_ms=T0,
        end_reason=EndReason.REFUSED,
        end_detail="post-1/3 was stopped by an operator: start_socket first",
    )
    body = session_text(s, Notice.STOPPED, cost_fen=0).body
    assert "stopped because the shed did not switch this socket on; please try another one" in body
    assert "start_socket" not in body and "operator" not in body
