"""Cloud rules from scenarios/rules.toml, transitions, reminders and chattering damping."""

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.core.alarms.chatter import ChatterPolicy, Damper, damp
from cloud.core.alarms.inputs import Clear, Raise
from cloud.core.alarms.lifecycle import decide
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle, Origin
from cloud.core.alarms.rules import FullSocket, LostGap, RulePolicy, ShedFacts, evaluate, reminders_due, transitions
from protocol.uplink import AlarmClass

T0 = 1_767_225_600_000
CASES = tomllib.loads((Path(__file__).parent / "scenarios" / "rules.toml").read_text())["case"]


def ms(s: float) -> int:
    return T0 + int(s * 1000)


def facts_from(spec: dict[str, Any]) -> ShedFacts:
    return ShedFacts(
        shed="shed-a",
        edge_last_seen_ms=ms(spec["edge_last_seen"]) if "edge_last_seen" in spec else None,
        edge_dead=spec.get("edge_dead", False),
        crowded=spec.get("crowded", False),
        registered_ms=ms(spec.get("registered", 0)),
        device_seen_ms={d: ms(t) for d, t in spec.get("device_seen", {}).items()},
        devices_reported_offline=frozenset(spec.get("devices_offline", [])),
        extinguishers=frozenset(spec.get("extinguishers", [])),
        inspected_ms={d: ms(t) for d, t in spec.get("inspected", {}).items()},
        full_sockets={
            (f["device"], f["socket"]): FullSocket(ms(f["since"]), f.get("owner")) for f in spec.get("full", [])
        },
        post_over_since_ms={d: ms(t) for d, t in spec.get("post_over", {}).items()},
        post_watts=spec.get("post_watts", {}),
        false_alarms_ms={d: tuple(ms(t) for t in v) for d, v in spec.get("false_alarms", {}).items()},
        lost_gaps=tuple(LostGap(g["first"], g["last"], ms(g["at"])) for g in spec.get("lost_gaps", [])),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_case(case: dict[str, Any]) -> None:
    active = evaluate(facts_from(case["facts"]), ms(case["at"]))
    assert sorted(str(k).removeprefix("shed-a/") for k in active) == sorted(case["active"])
    messages = {str(k).removeprefix("shed-a/"): r.message for k, r in active.items()}
    for key, message in case.get("messages", {}).items():
        assert messages[key] == message
    values = {str(k).removeprefix("shed-a/"): [r.value, r.threshold] for k, r in active.items()}
    for key, value in case.get("values", {}).items():
        assert values[key] == value


def test_transitions_raise_new_clear_gone_and_never_touch_edge_alarms() -> None:
    offline = AlarmKey("shed-a", "", 0, "edge_offline")
    silent = AlarmKey("shed-a", "post-1", 0, "device_silent")
    edge_alarm = AlarmKey("shed-a", "env-1", 0, "smoke")
    active = {offline: Raise(offline, AlarmClass.TROUBLE, origin=Origin.CLOUD)}
    out = transitions([opened(silent, Origin.CLOUD), opened(edge_alarm, Origin.EDGE)], active)
    assert out == [active[offline], Clear(silent)]
    assert transitions([opened(offline, Origin.CLOUD)], active) == []


def opened(key: AlarmKey, origin: Origin, state: Lifecycle = Lifecycle.UNACK) -> Alarm:
    return Alarm(key, AlarmClass.SERVICE, state, ms(0), origin=origin)


@pytest.mark.parametrize("state", [Lifecycle.UNACK, Lifecycle.ACKED, Lifecycle.RTN_UNACK])
def test_an_edge_alarm_of_a_cloud_rules_type_is_neither_cleared_nor_raised_over_by_the_rule(state: Lifecycle) -> None:
    bike = AlarmKey("shed-a", "post-1", 2, "bike_left_after_full")
    edge = opened(bike, Origin.EDGE, state)
    assert transitions([edge], {}) == []  # the rule does not hold: the edge's alarm stands
    assert transitions([edge], {bike: Raise(bike, AlarmClass.SERVICE, origin=Origin.CLOUD)}) == []
    # the cloud's own alarm of that key is cleared when its rule no longer holds
    assert transitions([opened(bike, Origin.CLOUD)], {}) == [Clear(bike)]


def test_the_edge_raising_a_cloud_alarms_condition_makes_it_the_edges() -> None:
    bike = AlarmKey("shed-a", "post-1", 2, "bike_left_after_full")
    cloud = decide(None, Raise(bike, AlarmClass.SERVICE, origin=Origin.CLOUD), ms(0)).alarm
    assert cloud is not None and cloud.origin is Origin.CLOUD
    edge = decide(cloud, Raise(bike, AlarmClass.SERVICE), ms(1)).alarm
    assert edge is not None and edge.origin is Origin.EDGE
    again = decide(edge, Raise(bike, AlarmClass.SERVICE, origin=Origin.CLOUD), ms(2)).alarm
    assert again is not None and again.origin is Origin.EDGE


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_reminders_never_decrease_and_start_at_full(since: int, later: int) -> None:
    full = FullSocket(T0 + since, "res")
    policy = RulePolicy()
    assert reminders_due(full, T0 + since - 1, policy) == 0
    assert reminders_due(full, T0 + since, policy) == 1
    assert reminders_due(full, T0 + since + later, policy) >= reminders_due(full, T0 + since + later // 2, policy)


KEY = AlarmKey("shed-a", "env-1", 0, "smoke")


def test_chattering_holds_the_clear_until_quiet_for_the_off_delay() -> None:
    d = Damper(KEY)
    passed = []
    for t, inp in [
        (0, Raise(KEY, AlarmClass.FIRE)),
        (5, Clear(KEY)),
        (10, Raise(KEY, AlarmClass.FIRE)),
        (15, Clear(KEY)),
    ]:
        d, out, chat = damp(d, inp, ms(t))
        passed.append(out)
        assert not chat
    d, out, chat = damp(d, Raise(KEY, AlarmClass.FIRE), ms(20))
    assert out is not None and chat  # third raise within a minute: chattering, and the raise passes at once
    d, out, chat = damp(d, Clear(KEY), ms(25))
    assert out is None and chat  # held
    d, out, _ = damp(d, None, ms(84))
    assert out is None  # 59 s after the clear: still held
    d, out, _ = damp(d, None, ms(85))
    assert out == Clear(KEY)
    assert passed[1] == Clear(KEY) and passed[3] == Clear(KEY)


def test_a_raise_during_a_held_clear_cancels_it() -> None:
    d = Damper(KEY)
    for t in (0, 1, 2):
        d, _, _ = damp(d, Raise(KEY, AlarmClass.FIRE), ms(t))
    d, out, _ = damp(d, Clear(KEY), ms(3))
    assert out is None
    d, out, _ = damp(d, Raise(KEY, AlarmClass.FIRE), ms(4))
    d, out, _ = damp(d, None, ms(200))
    assert out is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 120_000)), max_size=60))
def test_damping_never_drops_a_raise_and_ends_with_the_true_condition(seq: list[tuple[bool, int]]) -> None:
    d = Damper(KEY)
    now = T0
    shown = False
    truth = False
    for is_raise, dt in seq:
        now += dt
        inp: Raise | Clear = Raise(KEY, AlarmClass.TROUBLE) if is_raise else Clear(KEY)
        truth = is_raise
        d, out, _ = damp(d, inp, now)
        if is_raise:
            assert out == inp
        if out is not None:
            shown = isinstance(out, Raise)
    d, out, _ = damp(d, None, now + ChatterPolicy().off_delay_ms + ChatterPolicy().window_ms)
    if out is not None:
        shown = isinstance(out, Raise)
    assert shown == truth
