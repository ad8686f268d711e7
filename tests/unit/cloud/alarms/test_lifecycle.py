"""The alarm lifecycle from scenario tables (scenarios/lifecycle.toml) and hypothesis over input sequences."""

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.core.alarms.inputs import (
    Acknowledge,
    Actor,
    AlarmInput,
    Assign,
    Clear,
    Comment,
    OutOfService,
    Raise,
    Shelve,
    Silence,
    Suppress,
    Tick,
    Unshelve,
)
from cloud.core.alarms.lifecycle import decide
from cloud.core.alarms.model import LIFE_SAFETY, Alarm, AlarmKey, Lifecycle
from protocol.uplink import AlarmClass

T0 = 1_767_225_600_000
KEY = AlarmKey("shed-a", "post-1", 3, "over_power")
SCENARIOS = tomllib.loads((Path(__file__).parent / "scenarios" / "lifecycle.toml").read_text())["scenario"]


def make_input(step: dict[str, Any], cls: AlarmClass) -> AlarmInput:
    actor = Actor(step.get("who", "someone"), "test")
    kind = step["input"]
    if kind == "raise":
        return Raise(KEY, AlarmClass(step.get("raise_class", cls)), "msg", step.get("value"))
    simple: dict[str, AlarmInput] = {
        "clear": Clear(KEY),
        "ack": Acknowledge(actor),
        "silence": Silence(actor),
        "unshelve": Unshelve(actor),
        "tick": Tick(),
    }
    if kind in simple:
        return simple[kind]
    if kind == "shelve":
        return Shelve(actor, int(step["duration_s"] * 1000))
    if kind == "suppress":
        return Suppress(actor, step["on"])
    if kind == "oos":
        return OutOfService(actor, step["on"])
    if kind == "assign":
        return Assign(actor, step["assignee"])
    if kind == "comment":
        return Comment(actor, step["text"])
    raise ValueError(kind)


CHECKS = {
    "state": lambda a, now: a.state.value,
    "acked_by": lambda a, now: a.acked_by,
    "silenced": lambda a, now: a.silenced,
    "raise_count": lambda a, now: a.raise_count,
    "instance": lambda a, now: a.instance,
    "value_after": lambda a, now: a.value,
    "class_after": lambda a, now: a.alarm_class.value,
    "shelved": lambda a, now: a.shelved(now),
    "annunciated": lambda a, now: a.annunciated(now),
    "assignee_after": lambda a, now: a.assignee,
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any]) -> None:
    cls = AlarmClass(scenario["class"])
    alarm: Alarm | None = None
    for i, step in enumerate(scenario["steps"]):
        now = T0 + int(step["at"] * 1000)
        out = decide(alarm, make_input(step, cls), now)
        where = f"step {i} ({step['input']} at {step['at']} s)"
        assert out.refused == step.get("refused"), where
        if "announce" in step:
            assert out.announce == step["announce"], where
        if step.get("audit") == "":
            assert out.audit is None, f"{where}: no audit line"
        elif "audit" in step:
            assert out.audit is not None and out.audit.action == step["audit"], where
        if out.refused:
            assert out.alarm == alarm and out.audit is None, f"{where}: a refusal changes nothing"
        alarm = out.alarm
        for name, get in CHECKS.items():
            if name in step:
                assert alarm is not None and get(alarm, now) == step[name], f"{where}: {name}"


def test_audit_records_who_and_from_which_device() -> None:
    alarm = decide(None, Raise(KEY, AlarmClass.TROUBLE), T0).alarm
    out = decide(alarm, Acknowledge(Actor("guard-li", "phone-7")), T0 + 1)
    assert out.audit is not None
    assert (out.audit.action, out.audit.actor, out.audit.device) == ("acknowledged", "guard-li", "phone-7")


def test_key_round_trips_through_text() -> None:
    assert AlarmKey.parse(str(KEY)) == KEY
    assert AlarmKey.parse(str(AlarmKey("s", "", 0, "edge_offline"))) == AlarmKey("s", "", 0, "edge_offline")
    with pytest.raises(ValueError):
        AlarmKey.parse("just/three/parts")


_actor = st.builds(Actor, st.sampled_from(["a", "b"]), st.just("t"))
_inputs = st.one_of(
    st.builds(Raise, st.just(KEY), st.sampled_from(list(AlarmClass))),
    st.just(Clear(KEY)),
    st.builds(Acknowledge, _actor),
    st.builds(Silence, _actor),
    st.builds(Shelve, _actor, st.integers(-1000, 10 * 3600 * 1000)),
    st.builds(Unshelve, _actor),
    st.builds(Suppress, _actor, st.booleans()),
    st.builds(OutOfService, _actor, st.booleans()),
    st.just(Tick()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_inputs, st.integers(0, 3_600_000)), max_size=40))
def test_invariants_over_any_sequence(steps: list[tuple[AlarmInput, int]]) -> None:
    alarm: Alarm | None = None
    now = T0
    for inp, dt in steps:
        now += dt
        out = decide(alarm, inp, now)
        if out.refused:
            assert out.alarm == alarm
            continue
        alarm = out.alarm
        assert alarm is not None
        # Life safety is never hidden.
        if alarm.alarm_class in LIFE_SAFETY:
            assert not alarm.shelved(now) and not alarm.suppressed and not alarm.out_of_service
            if alarm.open:
                assert alarm.annunciated(now)
        # Acknowledged states carry who and when.
        if alarm.state is Lifecycle.ACKED:
            assert alarm.acked_by is not None and alarm.acked_ms is not None
        # Only a new or returning or upgraded or re-presented alarm is announced, and only if visible.
        if out.announce:
            assert alarm.annunciated(now) and alarm.state in (Lifecycle.UNACK, Lifecycle.ACKED)
        assert alarm.key == KEY and alarm.raise_count >= 1
