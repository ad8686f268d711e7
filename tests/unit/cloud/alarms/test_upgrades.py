"""Class upgrades page as a new incident of the class would (scenarios/upgrades.toml)."""

import tomllib
from pathlib import Path
from typing import Any

import pytest

from cloud.core.alarms.clocks import clocks, due_steps, next_due_ms
from cloud.core.alarms.incidents import Incident, Placement, acknowledge, arrive, place
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.core.notify.message import compose
from protocol.uplink import AlarmClass

T0 = 1_767_225_600_000
CASES = tomllib.loads((Path(__file__).parent / "scenarios" / "upgrades.toml").read_text())["case"]


def ms(s: float) -> int:
    return T0 + int(s * 1000)


def opened(case: dict[str, Any]) -> Incident:
    inc = Incident(id="inc-1", shed="shed-a", alarm_class=AlarmClass(case["class"]), opened_ms=T0, last_alarm_ms=T0)
    if "acked" in case:
        acked = acknowledge(inc, "guard-li", ms(case["acked"]))
        assert isinstance(acked, Incident)
        inc = acked
    if "onsite" in case:
        there = arrive(inc, "guard-li", ms(case["onsite"]))
        assert isinstance(there, Incident)
        inc = there
    return inc


def joining(cls: str) -> Alarm:
    return Alarm(AlarmKey("shed-a", "env-1", 0, "smoke"), AlarmClass(cls), Lifecycle.UNACK, T0)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_upgrade_case(case: dict[str, Any]) -> None:
    placed = place(opened(case), joining(case["to"]), ms(case["upgrade"]), new_id="inc-2")
    assert placed.placement is Placement(case["placement"])
    inc = placed.incident
    assert inc is not None
    now = ms(case["at"])
    steps = due_steps(inc, now)
    assert [s.name for s in steps] == case["steps"]
    assert steps[0].levels == tuple(case["levels"])
    assert next_due_ms(inc, now) == (ms(case["next"]) if "next" in case else None)


def test_upgrade_clears_the_lesser_calls_answers_and_restarts_both_clocks() -> None:
    inc = opened({"class": "supervisory", "acked": 30, "onsite": 90})
    up = place(inc, joining("fire"), ms(120), new_id="x").incident
    assert up is not None
    assert (up.alarm_class, up.upgrades, up.class_ms, up.opened_ms) == (AlarmClass.FIRE, 1, ms(120), T0)
    assert (up.acked_ms, up.acked_by, up.onsite_ms, up.onsite_by) == (None, None, None, None)
    view = clocks(up, ms(200))
    assert (view.ack_due_ms, view.onsite_due_ms, view.ack_kept) == (ms(300), ms(720), None)
    again = acknowledge(up, "leader-wang", ms(250))
    assert isinstance(again, Incident) and clocks(again, ms(260)).ack_s == 130
    # A second upgrade is a phase of its own: its steps never collide with the first's in the outbox.
    pre = place(opened({"class": "trouble"}), joining("pre_fire"), ms(10), new_id="x").incident
    assert pre is not None
    fire = place(pre, joining("fire"), ms(20), new_id="x").incident
    assert fire is not None and [s.name for s in due_steps(fire, ms(20))] == ["up2_open"]


def test_the_upgrades_alert_says_so() -> None:
    text = compose(incident="i", shed="shed-a", alarm_class=AlarmClass.FIRE, step="up1_open", summary="", links={})
    assert text.title == "[FIRE] shed-a: UPGRADED: more urgent incident"
    text = compose(incident="i", shed="s", alarm_class=AlarmClass.FIRE, step="up2_ack_overdue_1", summary="", links={})
    assert text.title.endswith("UPGRADED: ESCALATED: not accepted within the promise")
    assert compose(
        incident="i", shed="s", alarm_class=AlarmClass.FIRE, step="update_1", summary="", links={}
    ).title == ("[FIRE] s: update")
