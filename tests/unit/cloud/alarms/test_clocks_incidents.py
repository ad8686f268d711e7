"""Service clocks (scenarios/clocks.toml), incident grouping and inhibition, rota, the promise report and load."""

import tomllib
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.core.alarms.clocks import ClockState, Promise, clocks, due_steps, next_due_ms
from cloud.core.alarms.incidents import (
    Incident,
    Placement,
    Resolution,
    acknowledge,
    arrive,
    inhibited,
    place,
    resolve,
)
from cloud.core.alarms.load import AlarmRecord, load
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.core.alarms.report import report
from cloud.core.alarms.rota import Rota, Shift
from protocol.uplink import AlarmClass

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z = 08:00 in Shanghai, a Thursday
CASES = tomllib.loads((Path(__file__).parent / "scenarios" / "clocks.toml").read_text())["case"]


def ms(s: float) -> int:
    return T0 + int(s * 1000)


def incident(cls: str = "fire", **kw: Any) -> Incident:
    return Incident(id="inc-1", shed="shed-a", alarm_class=AlarmClass(cls), opened_ms=T0, last_alarm_ms=T0, **kw)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_clock_case(case: dict[str, Any]) -> None:
    opt = {k: ms(case[k]) for k in ("acked", "onsite", "resolved") if k in case}
    inc = incident(
        case["class"],
        acked_ms=opt.get("acked"),
        acked_by="g" if "acked" in opt else None,
        onsite_ms=opt.get("onsite"),
        resolved_ms=opt.get("resolved"),
    )
    now = ms(case["at"])
    assert [s.name for s in due_steps(inc, now)] == case["steps"]
    view = clocks(inc, now)
    shown = {ClockState.KEPT: True, ClockState.BROKEN: False}
    assert shown.get(view.ack_state, view.ack_state.value) == case["ack_kept"]
    assert shown.get(view.onsite_state, view.onsite_state.value) == case["onsite_kept"]
    assert (view.ack_kept, view.onsite_kept) == (shown.get(view.ack_state), shown.get(view.onsite_state))
    nxt = next_due_ms(inc, now)
    assert nxt == (ms(case["next"]) if "next" in case else None)


def test_fire_pages_guard_and_leader_at_once_others_guard_only() -> None:
    assert due_steps(incident("fire"), T0)[0].levels == (0, 1)
    assert due_steps(incident("pre_fire"), T0)[0].levels == (0,)


def test_elapsed_counts_on_the_given_clock_and_stops_at_the_resolution() -> None:
    running = clocks(incident("fire"), ms(75))
    assert (running.started_ms, running.elapsed_s, running.now_ms) == (T0, 75.0, ms(75))
    done = clocks(incident("fire", resolved_ms=ms(400)), ms(900))
    assert done.elapsed_s == 400.0
    upgraded = clocks(incident("fire", class_ms=ms(100)), ms(130))
    assert (upgraded.started_ms, upgraded.elapsed_s) == (ms(100), 30.0)  # the clocks restart at an upgrade


def test_promise_is_per_community() -> None:
    tight = Promise(ack_s=60, onsite_s=300)
    assert [s.name for s in due_steps(incident("trouble"), ms(60), tight)] == ["open", "ack_overdue_1"]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 3600), st.integers(0, 3600))
def test_steps_due_only_grow_with_time(a: int, b: int) -> None:
    inc = incident("fire")
    early, late = sorted((a, b))
    assert {s.name for s in due_steps(inc, ms(early))} <= {s.name for s in due_steps(inc, ms(late))}


def alarm(cls: AlarmClass, socket: int = 0, device: str = "env-1", alarm_type: str = "smoke") -> Alarm:
    return Alarm(AlarmKey("shed-a", device, socket, alarm_type), cls, Lifecycle.UNACK, T0)


def test_first_alarm_opens_then_the_shed_groups_into_one_incident() -> None:
    first = place(None, alarm(AlarmClass.PRE_FIRE, 0, "env-1", "off_gas"), T0, new_id="i1")
    assert first.placement is Placement.OPEN and first.incident is not None
    joined = place(first.incident, alarm(AlarmClass.PRE_FIRE, 3, "post-1", "socket_overtemp"), ms(5), new_id="i2")
    assert joined.placement is Placement.JOIN and joined.incident is not None and joined.incident.id == "i1"
    up = place(joined.incident, alarm(AlarmClass.FIRE), ms(30), new_id="i3")
    assert up.placement is Placement.UPGRADE and up.incident is not None
    assert up.incident.alarm_class is AlarmClass.FIRE and up.incident.alarms == 3


def test_an_alarm_announced_again_is_counted_once() -> None:
    inc = incident("trouble")  # one alarm so far
    again = place(inc, alarm(AlarmClass.TROUBLE), ms(60), new_id="x", member=True)  # e.g. its shelve ended
    assert again.placement is Placement.JOIN and again.incident is not None and again.incident.alarms == 1
    other = place(again.incident, alarm(AlarmClass.TROUBLE, 2, "post-1", "x"), ms(90), new_id="x")
    assert other.incident is not None and other.incident.alarms == 2


def test_a_quiet_window_or_resolution_starts_a_new_incident() -> None:
    inc = incident("trouble")
    assert place(inc, alarm(AlarmClass.TROUBLE), ms(30 * 60 + 1), new_id="i2").placement is Placement.OPEN
    done = resolve(inc, Resolution.FALSE, "dust", ms(10))
    assert isinstance(done, Incident)
    assert place(done, alarm(AlarmClass.TROUBLE), ms(20), new_id="i2").placement is Placement.OPEN


def test_operational_alone_pages_nobody() -> None:
    assert place(None, alarm(AlarmClass.OPERATIONAL, 2, "post-1", "over_power"), T0, new_id="x").placement is (
        Placement.SHOW
    )


@pytest.mark.parametrize(
    ("incident_class", "alarm_class", "socket", "expected"),
    [
        ("fire", AlarmClass.OPERATIONAL, 3, True),
        ("pre_fire", AlarmClass.TROUBLE, 3, True),
        ("fire", AlarmClass.TROUBLE, 0, False),  # shed-level trouble (edge offline) still counts on its own
        ("fire", AlarmClass.SUPERVISORY, 3, False),
        ("trouble", AlarmClass.OPERATIONAL, 3, False),
    ],
)
def test_inhibition(incident_class: str, alarm_class: AlarmClass, socket: int, expected: bool) -> None:
    assert inhibited(incident(incident_class), alarm(alarm_class, socket, "post-1", "x")) is expected
    assert inhibited(None, alarm(alarm_class, socket)) is False


def test_ack_onsite_resolve_steps() -> None:
    inc = incident("fire")
    acked = acknowledge(inc, "guard-li", ms(60))
    assert isinstance(acked, Incident) and acked.acked_by == "guard-li"
    assert acknowledge(acked, "x", ms(61)) == "already acknowledged by guard-li"
    there = arrive(inc, "guard-wang", ms(300))  # arriving accepts when nobody had
    assert isinstance(there, Incident) and (there.acked_by, there.onsite_by) == ("guard-wang", "guard-wang")
    done = resolve(there, Resolution.REAL, "cell vented", ms(900))
    assert isinstance(done, Incident) and not done.open
    assert resolve(done, Resolution.REAL, "", ms(901)) == "incident already resolved"
    assert arrive(done, "x", ms(902)) == "incident resolved"


ROTA = Rota(
    shifts=(
        Shift("guard", "day-guard", time(8), time(20)),
        Shift("guard", "night-guard", time(20), time(8)),
        Shift("shift_leader", "leader", time(8), time(20), frozenset({0, 1, 2, 3, 4})),
        Shift("property_manager", "manager"),
    )
)


def test_rota_in_shanghai_time() -> None:
    assert ROTA.on_duty("guard", T0) == ["day-guard"]  # 08:00 local
    assert ROTA.on_duty("guard", T0 - 1) == ["night-guard"]  # 07:59:59 local
    assert ROTA.on_duty("guard", ms(12 * 3600)) == ["night-guard"]  # 20:00 local
    # Saturday 2026-01-03 10:00 local: no leader at weekends, the page passes up to the manager.
    saturday = ms(2 * 86400 + 2 * 3600)
    assert ROTA.level(1, saturday) == ["manager"]
    assert ROTA.level(1, T0) == ["leader"]
    assert ROTA.level(7, T0) == ["manager"]


def test_overnight_shift_belongs_to_the_day_it_starts() -> None:
    friday_night = Rota(shifts=(Shift("guard", "g", time(22), time(6), frozenset({4})),))
    # Friday 2026-01-02 23:00 local = 15:00Z; Saturday 05:00 local = 21:00Z Friday.
    assert friday_night.on_duty("guard", ms(86400 + 15 * 3600)) == ["g"]
    assert friday_night.on_duty("guard", ms(86400 + 21 * 3600)) == ["g"]
    assert friday_night.on_duty("guard", ms(2 * 86400 + 15 * 3600)) == []  # Saturday night


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 366 * 86400))
def test_round_the_clock_guards_always_cover(offset_s: int) -> None:
    assert len(ROTA.on_duty("guard", ms(offset_s))) == 1
    assert ROTA.level(0, ms(offset_s)) and ROTA.level(2, ms(offset_s)) == ["manager"]


def test_report_per_week_shed_and_person() -> None:
    incs = [
        incident("fire", acked_ms=ms(60), acked_by="li", onsite_ms=ms(400), onsite_by="li"),
        incident("fire", acked_ms=ms(200), acked_by="wang", onsite_ms=ms(700), onsite_by="wang"),
        incident("fire", acked_ms=ms(120), acked_by="li"),  # on-site clock still running at ms(500)
    ]
    rows = {(r.by, r.group, r.clock): r for r in report(incs, ms(500))}
    ack_week = rows[("week", "2026-W01", "ack")]
    assert (ack_week.incidents, ack_week.kept, ack_week.median_s, ack_week.worst_s) == (3, 2, 120, 200)
    onsite_li = rows[("person", "li", "onsite")]
    assert (onsite_li.incidents, onsite_li.kept, onsite_li.worst_s) == (1, 1, 400)
    assert rows[("shed", "shed-a", "onsite")].incidents == 2
    assert rows[("person", "wang", "ack")].kept_ratio == 0.0


def test_names_people_know_in_refusals_and_the_report_ids_kept() -> None:
    acked = acknowledge(incident("fire"), "u-3f9c", ms(60), "Li Wei")
    assert isinstance(acked, Incident) and (acked.acked_by, acked.acked_by_name) == ("u-3f9c", "Li Wei")
    assert acknowledge(acked, "u-other", ms(61)) == "already acknowledged by Li Wei"
    there = arrive(acked, "u-7", ms(300), "Wang")
    assert isinstance(there, Incident) and arrive(there, "u-8", ms(301)) == "already on site: Wang"
    groups = {(r.by, r.group) for r in report([there], ms(900))}
    assert {("person", "Li Wei"), ("person", "Wang")} <= groups
    assert acknowledge(incident("fire", acked_ms=ms(1), acked_by="u-1"), "x", ms(2)) == "already acknowledged by u-1"


def test_report_counts_a_running_broken_clock_with_its_time_so_far() -> None:
    rows = {(r.by, r.group, r.clock): r for r in report([incident("fire")], ms(900))}
    assert rows[("person", "(nobody)", "ack")].worst_s == 900
    assert rows[("person", "(nobody)", "onsite")].kept == 0


def test_report_counts_an_incident_resolved_before_acceptance_apart_never_with_a_growing_time() -> None:
    fast_false = incident("pre_fire", resolved_ms=ms(1.6), resolution=Resolution.FALSE)
    late = incident("trouble", resolved_ms=ms(240), resolution=Resolution.REAL)  # accept clock broken at 180 s
    for now in (ms(3600), ms(86400)):
        rows = {(r.by, r.group, r.clock): r for r in report([fast_false, late], now)}
        ack_shed = rows[("shed", "shed-a", "ack")]
        assert (ack_shed.incidents, ack_shed.kept, ack_shed.resolved_first, ack_shed.worst_s) == (1, 0, 1, 240)
        assert rows[("person", "(nobody)", "ack")].incidents == 1  # only the broken one
        assert rows[("week", "2026-W01", "onsite")].resolved_first == 2
        assert ("person", "(nobody)", "onsite") not in rows


def test_load_counts_the_re_raises_of_one_open_instance_as_chattering() -> None:
    # Damping keeps a flapping key's one instance open: its flaps are re-raises, and they chatter.
    flapping = AlarmRecord("shed-a/env-1/0/smoke", "env-1", ms(0), reraised_ms=(ms(20), ms(40)))
    slow = AlarmRecord("shed-a/env-2/0/smoke", "env-2", ms(0), reraised_ms=(ms(60), ms(120)))
    figures = load([flapping, slow], start_ms=ms(-1), end_ms=ms(600))
    assert figures.chattering == ("shed-a/env-1/0/smoke",) and figures.alarms == 2


def test_load_figures() -> None:
    records = [AlarmRecord(f"k{i}", "env-1", ms(i * 10)) for i in range(12)]  # 12 in 2 minutes: a flood
    records += [AlarmRecord("chat", "post-1", ms(t), ms(t + 1)) for t in (1000, 1020, 1040)]
    records += [AlarmRecord("old", "ext-1", ms(-2 * 86400))]
    records += [
        AlarmRecord("f", "env-2", ms(2000 + i), ms(2001 + i), (Resolution.FALSE if i < 3 else Resolution.REAL,))
        for i in range(4)
    ]
    out = load(records, start_ms=T0, end_ms=ms(3600), operators=2)
    assert out.alarms == 19
    assert out.floods == 1 and out.peak_10min == 12
    assert out.chattering == ("chat", "f")
    assert out.standing == 13 and out.stale == 1
    assert out.false_rate == {"env-2": (3, 0.75)}
    assert out.per_operator_per_10min == pytest.approx(19 / 6 / 2)
    with pytest.raises(ValueError):
        load([], start_ms=T0, end_ms=T0)


PLACEMENTS = tomllib.loads((Path(__file__).parent / "scenarios" / "placement.toml").read_text())["case"]


@pytest.mark.parametrize("case", PLACEMENTS, ids=[c["name"] for c in PLACEMENTS])
def test_placement_by_class(case: dict[str, Any]) -> None:
    open_incident = incident(case["incident"]) if case["incident"] else None
    placed = place(
        open_incident,
        alarm(AlarmClass(case["alarm"]), 2, "post-1", "x"),
        ms(10),
        new_id="i2",
        member=case.get("member", False),
    )
    assert placed.placement is Placement(case["expected"])
    assert (placed.incident is None) is (placed.placement is Placement.SHOW)
