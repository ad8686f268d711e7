"""A relay-off is confirmed by a RelayResult, or by a reading with the relay open AND the meter idle.

The issue's case: socket 7 of a 4-socket post sent relay false with 1500 W, and its relay_unconfirmed alarm
cleared although such a reading "is not believed" (docs/edge.md). One rule for configured and unconfigured
sockets alike: fail safe, the off stays unconfirmed (retried, alarmed) while the meter draws power.
"""

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.actions import Emit, Relay
from edge.decide import decide
from edge.inputs import Tick
from edge.relays import reading_confirms
from edge.state import PendingRelay, ShedState, SocketState
from protocol.config import Thresholds
from protocol.device import PostTelemetry, SocketReading
from protocol.uplink import AlarmCleared, AlarmRaised
from tests.unit.edge.scenario import T0, make_state, sock_reading

IDLE_W = Thresholds().unplugged_power_w


def _reading(socket: int, *, relay: bool, power_w: float) -> SocketReading:
    return sock_reading({"socket": socket, "relay": relay, "power_w": power_w, "temp_c": 30.0, "energy_wh": 1.0})


def _post(reading: SocketReading, seq: int) -> PostTelemetry:
    return PostTelemetry(src="post-1", seq=seq, ts=T0, total_power_w=reading.power_w, sockets=[reading])


def _types(actions: Sequence[object], kind: type[AlarmRaised] | type[AlarmCleared]) -> set[str]:
    events = [a.event for a in actions if isinstance(a, Emit)]
    return {e.alarm_type for e in events if isinstance(e, (AlarmRaised, AlarmCleared)) and isinstance(e, kind)}


def _sock(state: ShedState, socket: int) -> SocketState:
    post = state.posts["post-1"] if socket in state.posts["post-1"].sockets else state.retired["post-1"]
    return post.sockets[socket]


@pytest.mark.parametrize(("socket", "reason"), [(7, "unconfigured"), (2, "over_power")])
def test_a_relay_reported_open_while_drawing_never_confirms_the_off(socket: int, reason: str) -> None:
    state = make_state()  # post-1 has sockets 1..4: 7 is unconfigured, 2 trips over power
    t = state.config.thresholds
    _, actions = decide(state, _post(_reading(socket, relay=True, power_w=1500.0), 1), T0)
    assert [(a.socket, a.reason) for a in actions if isinstance(a, Relay) and not a.on] == [(socket, reason)]
    now, seq, raised = T0, 1, False
    # the post says the relay is open, yet its meter reads 1500 W: retried, then alarmed, never confirmed
    for _ in range(t.relay_retries + 2):
        now += int(t.relay_confirm_s * 1000)
        seq += 1
        _, actions = decide(state, _post(_reading(socket, relay=False, power_w=1500.0), seq), now)
        assert "relay_unconfirmed" not in _types(actions, AlarmCleared)
        _, actions = decide(state, Tick(), now + 1)
        raised = raised or "relay_unconfirmed" in _types(actions, AlarmRaised)
        assert _sock(state, socket).pending is not None
    assert raised
    # open and idle: now it is believed
    _, actions = decide(state, _post(_reading(socket, relay=False, power_w=0.0), seq + 1), now + 2)
    assert "relay_unconfirmed" in _types(actions, AlarmCleared)


@given(relay=st.booleans(), power_w=st.floats(-10.0, 5000.0), on=st.booleans())
def test_the_rule(relay: bool, power_w: float, on: bool) -> None:
    pending = PendingRelay(request_id="r1-1", on=on, reason="x", sent_ms=0)
    expected = relay if on else (not relay and power_w <= IDLE_W)
    assert reading_confirms(pending, relay, power_w, IDLE_W) is expected
    assert reading_confirms(pending, relay, None, IDLE_W) is (relay if on else False)  # a broken meter: not idle
