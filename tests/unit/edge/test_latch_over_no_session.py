"""A latched socket of an authorised shed that reports its relay closed is cut naming its latch, not no_session."""

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.actions import Emit, Relay
from edge.decide import decide
from edge.latches import restore
from edge.state import new_state
from protocol.device import PostTelemetry
from protocol.uplink import InterlockAction
from tests.unit.edge.scenario import T0, make_state, sock_reading

REASONS = ["over_power", "socket_overtemp", "thermal_runaway", "sensor_fault", "stale_telemetry", "internal_error"]
SHED_REASONS = ["off_gas", "smoke", "extinguisher_discharged"]


@given(reason=st.sampled_from(REASONS + SHED_REASONS), socket=st.integers(1, 4))
@settings(max_examples=60, deadline=None)
def test_after_a_restart_the_off_names_the_latch(reason: str, socket: int) -> None:
    config = make_state().config.model_copy(update={"mode": "authorised"})
    fresh = new_state(config, T0)  # the agent after a SIGKILL: only the stored latches come back
    scope = {"scope": "shed"} if reason in SHED_REASONS else {"scope": "socket", "device": "post-1", "socket": socket}
    assert restore(fresh, [scope | {"reason": reason}], mono_ms=T0, wall_ms=T0) == 1
    reading = sock_reading({"socket": socket, "power_w": 200.0})
    msg = PostTelemetry(src="post-1", seq=1, ts=T0, total_power_w=200.0, sockets=[reading])
    _, actions = decide(fresh, msg, T0)
    offs = [(a.socket, a.reason) for a in actions if isinstance(a, Relay) and not a.on]
    assert offs == [(socket, reason)]
    said = [a.event.reason for a in actions if isinstance(a, Emit) and isinstance(a.event, InterlockAction)]
    assert "no_session" not in said
