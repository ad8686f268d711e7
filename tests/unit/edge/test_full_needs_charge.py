"""Full means a charge that tapered off: a socket never seen charging is never reported or cut as full."""

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.actions import Emit, Relay
from edge.decide import decide
from protocol.device import PostTelemetry
from protocol.uplink import SocketStatus, SocketStatusChanged
from tests.unit.edge.scenario import T0, make_state, sock_reading

FULL_W = 30.0  # Thresholds.full_power_w


@given(
    low_w=st.lists(st.floats(0.0, FULL_W, exclude_max=True), min_size=1, max_size=400),
    step_s=st.integers(1, 60),
)
@settings(max_examples=100, deadline=None)
def test_low_power_from_switch_on_is_never_full(low_w: list[float], step_s: int) -> None:
    state = make_state()
    assert state.config.thresholds.full_power_w == FULL_W
    for i, watts in enumerate(low_w):
        now = T0 + i * step_s * 1000
        reading = sock_reading({"socket": 1, "power_w": watts})
        msg = PostTelemetry(src="post-1", seq=i + 1, ts=now, total_power_w=watts, sockets=[reading])
        _, actions = decide(state, msg, now)
        assert not [a for a in actions if isinstance(a, Relay) and a.reason == "full"]
        statuses = [a.event for a in actions if isinstance(a, Emit) and isinstance(a.event, SocketStatusChanged)]
        assert all(e.status != SocketStatus.FULL for e in statuses)
    assert state.posts["post-1"].sockets[1].status != SocketStatus.FULL
