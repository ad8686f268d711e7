"""A reset that re-allows charging supersedes the retries of the offs it cleared; an off still required keeps them.

Before: reset_trip left the unconfirmed relay-off pending, and its retry ``relay_confirm_s`` later switched off
a socket legitimately switched on again meanwhile (a reset, then the resident's session restarted).
"""

from typing import Any

from edge.actions import Answer, Relay
from edge.decide import decide
from edge.inputs import Tick
from edge.state import ShedState
from tests.unit.edge.scenario import T0, make_input, make_state, per_socket

CONFIRM_MS = 2_000  # relay_confirm_s, the default


def _telemetry(now: int, **sockets: dict[str, Any]) -> Any:
    """post-1's telemetry: socket N from ``sN={...}`` (power_w, temp_c, relay); the others off at 25 degC."""
    specs = [{"socket": n, "relay": False} | sockets.get(f"s{n}", {}) for n in range(1, 5)]
    return make_input({"telemetry": {"sockets": specs}}, now)


def _command(now: int, request_id: str, **command: Any) -> Any:
    return make_input({"command": {"request_id": request_id, **command}}, now)


def _offs(actions: list[Any], state: ShedState, socket: int) -> list[str]:
    return [r.reason for r in per_socket(actions, state) if r.socket == socket and not r.on]


def _detail(actions: list[Any]) -> str:
    return next(str(a.result.detail) for a in actions if isinstance(a, Answer))


def _ticks(state: ShedState, start: int, n: int = 6) -> list[Any]:
    """Ticks every relay_confirm_s from ``start``: every retry still due shows up among their actions."""
    out: list[Any] = []
    for k in range(n):
        out += decide(state, Tick(), start + k * CONFIRM_MS)[1]
    return out


def test_a_reset_then_a_new_session_is_not_cut_by_the_retry_of_the_off_it_cleared() -> None:
    state = make_state()
    _, acts = decide(state, _telemetry(T0, s1={"power_w": 1500.0, "relay": True}), T0)
    assert _offs(acts, state, 1) == ["over_power"]
    # the over-power charger is unplugged; the post's relay still reads closed (its off unconfirmed, its
    # RelayResult lost); the operator resets before the retry is due
    decide(state, _telemetry(T0 + 300, s1={"power_w": 0.0, "relay": True}), T0 + 300)
    _, reset = decide(state, _command(T0 + 500, "reset-1", action="reset_trip", device="post-1", socket=1), T0 + 500)
    # the resident's session restarts: the relay is closed again, legitimately
    decide(state, _telemetry(T0 + 1000, s1={"power_w": 200.0, "relay": True}), T0 + 1000)
    assert state.posts["post-1"].sockets[1].session_id is not None
    assert _offs(_ticks(state, T0 + CONFIRM_MS), state, 1) == []
    assert _detail(reset) == "1 latch(es) lifted; 1 unconfirmed relay-off(s) no longer retried"


def test_an_off_still_required_by_an_operator_stop_keeps_its_retries() -> None:
    state = make_state()
    decide(state, _telemetry(T0, s1={"power_w": 1500.0, "relay": True}), T0)
    decide(state, _command(T0 + 100, "stop-1", action="stop_socket", device="post-1", socket=1), T0 + 100)
    decide(state, _telemetry(T0 + 300, s1={"power_w": 0.0, "relay": True}), T0 + 300)  # unplugged, still closed
    _, acts = decide(state, _command(T0 + 500, "reset-1", action="reset_trip", device="post-1", socket=1), T0 + 500)
    assert _detail(acts) == "1 latch(es) lifted"
    assert _offs(_ticks(state, T0 + CONFIRM_MS, 1), state, 1) == ["over_power"]  # retried: the stop holds it off


def test_a_socket_reset_under_a_shed_latch_keeps_retrying() -> None:
    state = make_state()
    decide(state, _telemetry(T0, s1={"power_w": 1500.0, "relay": True}, s2={"power_w": 200.0, "relay": True}), T0)
    decide(state, make_input({"environment": {"smoke_alarm": True, "smoke_obscuration_pct_m": 12.0}}, T0), T0 + 10)
    decide(state, _command(T0 + 500, "reset-1", action="reset_trip", device="post-1", socket=1), T0 + 500)
    assert state.shed_trips == {"smoke"}
    acts = _ticks(state, T0 + CONFIRM_MS + 10, 1)
    assert _offs(acts, state, 1) == ["smoke"]  # the shed cut's off, said again: the smoke latch still requires it
    assert _offs(acts, state, 2) == ["smoke"]


def test_a_shed_reset_supersedes_the_shed_cuts_retries_of_every_socket() -> None:
    state = make_state()
    on = {"power_w": 200.0, "relay": True}
    decide(state, _telemetry(T0, s1=on, s2=on, s3=on, s4=on), T0)
    _, acts = decide(state, make_input({"extinguisher": {"discharged": True}}, T0 + 10), T0 + 10)
    assert {r.socket for r in per_socket(acts, state) if not r.on} == {1, 2, 3, 4}
    _, reset = decide(state, _command(T0 + 500, "reset-1", action="reset_trip"), T0 + 500)
    decide(state, _telemetry(T0 + 1000, s1=on, s2=on, s3=on, s4=on), T0 + 1000)
    assert [r for r in _ticks(state, T0 + CONFIRM_MS + 10) if isinstance(r, Relay)] == []
    assert _detail(reset) == "1 latch(es) lifted; 4 unconfirmed relay-off(s) no longer retried"


def test_an_authorised_shed_keeps_retrying_a_socket_without_a_session() -> None:
    state = make_state()
    state.config = state.config.model_copy(update={"mode": "authorised"})
    decide(state, _telemetry(T0, s1={"power_w": 1500.0, "relay": True, "temp_c": 25.0}), T0)
    decide(state, _command(T0 + 500, "reset-1", action="reset_trip", device="post-1", socket=1), T0 + 500)
    assert state.posts["post-1"].sockets[1].pending is not None  # no session: it must stay off
    assert _offs(_ticks(state, T0 + CONFIRM_MS, 1), state, 1)


def test_a_reset_of_a_socket_whose_last_reading_still_breaks_a_limit_is_refused_and_the_off_retried() -> None:
    """The newest reading still says 1,500 W through a closed relay and the post says nothing more: the reset
    keeps the latch and the off's retries (before, it superseded them and the socket stayed on until the stale cut,
    30 s later)."""
    state = make_state()
    _, acts = decide(state, _telemetry(T0, s1={"power_w": 1500.0, "relay": True}), T0)
    assert _offs(acts, state, 1) == ["over_power"]
    _, reset = decide(state, _command(T0 + 1000, "reset-1", action="reset_trip", device="post-1", socket=1), T0 + 1000)
    answer = next(a.result for a in reset if isinstance(a, Answer))
    assert answer.status == "rejected"
    assert answer.detail == "no latch lifted; 1 kept: post-1/1 (over_power): last reading 1500 W, over 1000 W"
    assert state.posts["post-1"].sockets[1].trip == "over_power"
    assert _offs(_ticks(state, T0 + CONFIRM_MS, 1), state, 1) == ["over_power"]  # retried at relay_confirm_s


def test_a_hot_socket_keeps_its_latch_until_it_reads_below_the_limit() -> None:
    state = make_state()
    decide(state, _telemetry(T0, s1={"power_w": 200.0, "relay": True, "temp_c": 50.0}), T0)
    _, acts = decide(state, _telemetry(T0 + 1000, s1={"power_w": 200.0, "relay": True, "temp_c": 70.0}), T0 + 1000)
    assert _offs(acts, state, 1) == ["socket_overtemp"]
    _, reset = decide(state, _command(T0 + 1200, "reset-1", action="reset_trip", device="post-1", socket=1), T0 + 1200)
    assert "last reading 70 °C, at or over" in _detail(reset) and state.posts["post-1"].sockets[1].trip is not None
    decide(state, _telemetry(T0 + 1300, s1={"power_w": 0.0, "relay": False, "temp_c": 40.0}), T0 + 1300)  # cooled
    _, reset = decide(state, _command(T0 + 1400, "reset-2", action="reset_trip", device="post-1", socket=1), T0 + 1400)
    assert _detail(reset) == "1 latch(es) lifted" and state.posts["post-1"].sockets[1].trip is None
