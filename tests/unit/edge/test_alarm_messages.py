"""Every alarm the edge raises carries a message a guard can read: what, where, and the value against its limit.

The wall banner and the alerts show the message next to the alarm's type; an empty one ("FIRE · shed-a env-1 ·")
told the control room nothing. The scenario tables drive the real decision code through most conditions; every
documented alarm type is also described from its fields alone (a type raised without a message of its caller's)."""

import re

import pytest

from edge.actions import Emit
from edge.alarm_text import describe
from edge.decide import decide
from protocol.config import Thresholds
from protocol.docgen import ALARM_TYPES
from protocol.uplink import AlarmRaised
from tests.unit.edge.scenario import T0, load_scenarios, make_input, make_state


def _raised() -> list[AlarmRaised]:
    out: list[AlarmRaised] = []
    for sc in load_scenarios():
        state = make_state(posts=sc.get("posts", 1), sockets=sc.get("sockets", 4), thresholds=sc.get("thresholds"))
        wall_offset = int(sc.get("wall_ms", T0)) - T0
        for step in sc["steps"]:
            if "relay_result" in step:
                continue  # needs the request id of an earlier command; raises nothing of its own
            now = T0 + int(step["at"] * 1000)
            _, actions = decide(state, make_input(step, now + wall_offset), now, now + wall_offset)
            out += [a.event for a in actions if isinstance(a, Emit) and isinstance(a.event, AlarmRaised)]
    return out


def test_every_alarm_the_scenarios_raise_has_a_message() -> None:
    raised = _raised()
    assert len({a.alarm_type for a in raised}) >= 15  # the tables exercise most conditions
    blank = sorted({a.alarm_type for a in raised if not a.message.strip()})
    assert not blank, f"raised without a message: {blank}"
    over = next(a for a in raised if a.alarm_type == "post_over_limit")
    assert over.message == "post-1 drew 9000 W (limit 8700 W)"  # the value against its limit


# socket conditions whose text once named neither the socket nor a number ("no telemetry for 3 sample intervals
# while switched on", "relay off not confirmed after 4 attempts", "energy counter went back")
_SOCKET_TEXTS = ("stale_telemetry", "relay_unconfirmed", "not_charging", "meter_reset")


@pytest.mark.parametrize("alarm_type", _SOCKET_TEXTS)
def test_socket_alarms_name_the_socket_and_a_number(alarm_type: str) -> None:
    raised = [a for a in _raised() if a.alarm_type == alarm_type]
    assert raised, f"no scenario raises {alarm_type}"
    for a in raised:
        assert a.socket is not None and f"{a.device} socket {a.socket}" in a.message, a.message
        assert re.search(r"\d+(\.\d+)? (W|Wh|s|attempts)\b", a.message), a.message


def test_socket_alarms_say_the_value_against_the_limit_and_which_command() -> None:
    by_type: dict[str, list[str]] = {}
    for a in _raised():
        by_type.setdefault(a.alarm_type, []).append(a.message)
    assert "post-1 socket 2 plugged in and switched on but not charging: 10 W < 30 W" in by_type["not_charging"]
    assert "post-1 socket 1: relay off (over_power) not confirmed after 4 attempts" in by_type["relay_unconfirmed"]
    assert any("from 150 Wh to 5 Wh" in m for m in by_type["meter_reset"]), by_type["meter_reset"]
    stale = by_type["stale_telemetry"]
    assert all(re.search(r"no telemetry for \d+\.\d s while switched on \(limit 30 s", m) for m in stale), stale


@pytest.mark.parametrize(
    ("alarm_type", "device", "socket", "value", "threshold", "expected"),
    [
        (
            "thermal_runaway",
            "post-1",
            3,
            1.4142,
            1.0,
            "post-1 socket 3 temperature rising 1.4 °C/s (limit 1.0 °C/s for 3 s)",
        ),
        ("socket_overtemp", "post-1", 3, 71.5, 65.0, "post-1 socket 3 temperature 71.5 °C (limit 65 °C)"),
        ("smoke", "env-1", None, 9.5, 8.0, "smoke at env-1: obscuration 9.5 %/m (limit 8 %/m)"),
        ("smoke", "env-1", None, 0.0, 8.0, "smoke detector env-1 in alarm (obscuration 0 %/m, limit 8 %/m)"),
        ("heat_rate", "env-1", None, 10.83, 9.0, "heat at env-1 rising 10.8 °C/min (limit 9.0 °C/min)"),
        ("heat", "env-1", None, 60.0, 57.0, "heat at env-1: 60 °C (limit 57 °C)"),
        ("over_power", "post-1", 2, 1500.0, 1000.0, "post-1 socket 2 drawing 1500 W (limit 1000 W)"),
    ],
)
def test_fire_and_pre_fire_messages_name_what_and_value_against_limit(
    alarm_type: str, device: str, socket: int | None, value: float, threshold: float, expected: str
) -> None:
    assert describe(alarm_type, "shed-a", device, socket, value, threshold, Thresholds()) == expected


@pytest.mark.parametrize("alarm_type", sorted(ALARM_TYPES))
def test_every_documented_alarm_type_is_described_with_and_without_numbers(alarm_type: str) -> None:
    t = Thresholds()
    bare = describe(alarm_type, "shed-a", None, None, None, None, t)
    assert bare.strip() and "shed-a" in bare, bare
    numbered = describe(alarm_type, "shed-a", "post-1", 2, 12.5, 10.0, t)
    assert "post-1 socket 2" in numbered, numbered
    if alarm_type != "extinguisher_removed":  # a bracket switch: no value, no limit
        assert "12.5" in numbered and "limit 10" in numbered, numbered
