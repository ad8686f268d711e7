"""Sockets the config does not list are kept off: any socket number past the post's count, any push that cuts it."""

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.actions import Emit, Relay
from edge.decide import decide
from edge.inputs import Tick
from protocol.device import PostTelemetry, RelayResult, SocketReading
from protocol.envelope import SOCKET_MAX
from protocol.uplink import AlarmCleared, AlarmRaised, InterlockAction
from tests.unit.edge.scenario import T0, make_input, make_state, sock_reading


def _reading(socket: int, *, relay: bool = True, power_w: float = 1500.0, temp_c: float = 90.0) -> SocketReading:
    return sock_reading({"socket": socket, "relay": relay, "power_w": power_w, "temp_c": temp_c, "energy_wh": 1.0})


def _post(*readings: SocketReading, seq: int = 1) -> PostTelemetry:
    return PostTelemetry(src="post-1", seq=seq, ts=T0, total_power_w=0.0, sockets=list(readings))


def _offs(actions: Sequence[object]) -> list[tuple[int | None, str]]:
    return [(a.socket, a.reason) for a in actions if isinstance(a, Relay) and not a.on]


def _raised(actions: Sequence[object], alarm_type: str) -> list[AlarmRaised]:
    events = [a.event for a in actions if isinstance(a, Emit)]
    return [e for e in events if isinstance(e, AlarmRaised) and e.alarm_type == alarm_type]


@given(
    socket=st.integers(5, SOCKET_MAX),
    relay=st.booleans(),
    power_w=st.sampled_from([0.0, 2.0, 10.0, 1500.0]),
)
@settings(max_examples=150, deadline=None)
def test_an_unconfigured_socket_of_a_configured_post_is_cut_when_energised(
    socket: int, relay: bool, power_w: float
) -> None:
    state = make_state()  # post-1 has sockets 1..4
    stray = _reading(socket, relay=relay, power_w=power_w)
    _, actions = decide(state, _post(_reading(1, power_w=200.0, temp_c=30.0), stray), T0)
    energised = relay or power_w > state.config.thresholds.unplugged_power_w
    assert _offs(actions) == ([(socket, "unconfigured")] if energised else [])
    assert bool(_raised(actions, "unconfigured_device")) == energised
    cuts = [a.event for a in actions if isinstance(a, Emit) and isinstance(a.event, InterlockAction)]
    assert [(c.socket, c.reason) for c in cuts] == ([(socket, "unconfigured")] if energised else [])


def test_the_off_is_retried_until_confirmed_then_a_trouble_alarm_and_cleared_by_the_result() -> None:
    state = make_state()
    t = state.config.thresholds
    _, actions = decide(state, _post(_reading(7)), T0)
    assert _offs(actions) == [(7, "unconfigured")]
    [alarm] = _raised(actions, "unconfigured_device")
    assert alarm.device == "post-1" and "socket(s) 7 of post-1" in alarm.message
    now = T0
    resent = 0
    for _ in range(t.relay_retries):
        now += int(t.relay_confirm_s * 1000)
        _, actions = decide(state, Tick(), now)
        resent += len(_offs(actions))
    assert resent == t.relay_retries
    now += int(t.relay_confirm_s * 1000)
    _, actions = decide(state, Tick(), now)
    assert [a.socket for a in _raised(actions, "relay_unconfirmed")] == [7]
    rid = state.retired["post-1"].sockets[7].pending
    assert rid is not None
    result = RelayResult(src="post-1", seq=9, ts=T0, request_id=rid.request_id, socket=7, ok=True, relay=False)
    _, actions = decide(state, result, now + 1)
    cleared = {a.event.alarm_type for a in actions if isinstance(a, Emit) and isinstance(a.event, AlarmCleared)}
    assert cleared == {"relay_unconfirmed", "unconfigured_device"} and "post-1" not in state.retired
    _, actions = decide(state, _post(_reading(7, relay=False, power_w=0.0, temp_c=25.0), seq=2), now + 2)
    assert _offs(actions) == [] and "post-1" not in state.retired


def test_a_socket_a_push_cut_from_a_post_that_stays_is_kept_off_until_confirmed() -> None:
    state = make_state()
    decide(state, _post(_reading(4, power_w=200.0, temp_c=30.0)), T0)
    three = state.config.posts[0].model_copy(update={"sockets": 3})
    config = state.config.model_copy(update={"version": 2, "posts": [three]})
    push = make_input({"command": {"action": "push_config", "config": config.model_dump(mode="json")}}, T0 + 1)
    _, actions = decide(state, push, T0 + 1)
    assert _offs(actions) == [(4, "decommissioned")]
    # the post still reports socket 4 closed and drawing: the off is said again when due, not dropped
    t = state.config.thresholds
    _, actions = decide(
        state, _post(_reading(4, power_w=200.0, temp_c=30.0), seq=2), T0 + int(t.relay_confirm_s * 1000) + 1
    )
    assert _offs(actions) == [(4, "decommissioned")]
    _, actions = decide(state, Tick(), T0 + 2 * int(t.relay_confirm_s * 1000) + 2)
    assert _offs(actions) == [(4, "decommissioned")]
