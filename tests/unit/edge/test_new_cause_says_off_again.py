"""A new cause on a socket whose earlier off is unconfirmed says off again at once, not at that off's retry.

Before: a socket already held off (latched, or stopped) whose post still reported the relay closed was cut for
a new cause only at the old command's retry, up to ``relay_confirm_s`` (2 s) later: an over-temperature on a
socket latched for over-power, or an over-power on a socket an operator had just stopped.
"""

from typing import Any

from edge.actions import Relay
from edge.decide import decide
from edge.state import ShedState
from tests.unit.edge.scenario import T0, make_input, make_state


def _post(now: int, **socket1: Any) -> Any:
    return make_input({"telemetry": {"sockets": [{"socket": 1, "relay": True} | socket1]}}, now)


def _offs(actions: list[Any]) -> list[str]:
    return [a.reason for a in actions if isinstance(a, Relay) and a.socket == 1 and not a.on]


def _latched_for_over_power() -> ShedState:
    state = make_state()
    _, acts = decide(state, _post(T0, power_w=1500.0, temp_c=45.0), T0)
    assert _offs(acts) == ["over_power"]
    return state


def test_an_over_temperature_on_a_socket_latched_for_over_power_is_cut_at_once() -> None:
    state = _latched_for_over_power()
    # 300 ms later the post still shows the relay closed (it lost the command) and the socket at 66 degC
    _, acts = decide(state, _post(T0 + 300, power_w=200.0, temp_c=66.0), T0 + 300)
    assert _offs(acts) == ["socket_overtemp"]
    assert state.posts["post-1"].sockets[1].trip == "over_power"  # the latch keeps its first reason


def test_the_same_cause_again_waits_for_the_retry() -> None:
    """No flood: a reading that only repeats the latched cause is answered at the retry cadence."""
    state = _latched_for_over_power()
    _, acts = decide(state, _post(T0 + 300, power_w=1500.0, temp_c=45.0), T0 + 300)
    assert _offs(acts) == []
    _, acts = decide(state, _post(T0 + 2000, power_w=1500.0, temp_c=45.0), T0 + 2000)
    assert _offs(acts) == ["over_power"]  # relay_confirm_s after the first: said again


def test_an_over_power_on_a_socket_just_stopped_is_cut_at_once() -> None:
    state = make_state()
    decide(state, _post(T0, power_w=200.0), T0)
    stop = {"command": {"action": "stop_socket", "device": "post-1", "socket": 1}}
    _, acts = decide(state, make_input(stop, T0 + 100), T0 + 100)
    assert _offs(acts) == ["operator_stop"]
    _, acts = decide(state, _post(T0 + 400, power_w=1500.0), T0 + 400)
    assert _offs(acts) == ["over_power"]
