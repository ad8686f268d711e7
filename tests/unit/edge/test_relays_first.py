"""A shed cut's relay-offs are known before its status events are built (the agent publishes them first)."""

from edge.actions import Emit, Relay
from edge.decide import begin, decide, finish
from edge.inputs import Tick
from protocol.device import EnvironmentReading
from protocol.uplink import InterlockAction, SocketStatusChanged
from tests.unit.edge.scenario import T0, make_state, per_socket


def _off_gas() -> EnvironmentReading:
    return EnvironmentReading(
        src="env-1", seq=1, ts=T0, temp_c=20.0, smoke_obscuration_pct_m=0.0, smoke_alarm=False,
        h2_ppm=500.0, co_ppm=0.0, voc_ppm=0.0,
    )  # fmt: skip


def test_begin_has_every_relay_off_and_no_status_event_yet() -> None:
    state = make_state(posts=3)
    ctx = begin(state, _off_gas(), T0)
    relays = [a for a in ctx.actions if isinstance(a, Relay)]
    # one post-level off per post (socket None), covering every socket
    assert [(r.device, r.socket, r.on) for r in relays] == [(f"post-{i}", None, False) for i in (1, 2, 3)]
    assert {(r.device, r.socket) for r in per_socket(relays, state)} == {(s.device, s.socket) for s in state.sockets()}
    assert isinstance(ctx.actions[0], Relay)  # before the interlock event and the alarm
    assert not any(isinstance(a, Emit) and isinstance(a.event, SocketStatusChanged) for a in ctx.actions)
    actions = finish(ctx)
    assert actions[: len(relays)] == relays
    assert any(isinstance(a, Emit) and isinstance(a.event, InterlockAction) for a in actions)
    statuses = sum(isinstance(a, Emit) and isinstance(a.event, SocketStatusChanged) for a in actions)
    assert statuses == len(state.sockets())


def test_begin_then_finish_is_decide() -> None:
    one, two = make_state(posts=2), make_state(posts=2)
    _, expected = decide(one, _off_gas(), T0)
    got = finish(begin(two, _off_gas(), T0))
    assert [type(a) for a in got] == [type(a) for a in expected]
    assert [a.socket for a in got if isinstance(a, Relay)] == [a.socket for a in expected if isinstance(a, Relay)]


def test_a_silent_post_has_every_relay_off_before_its_events() -> None:
    state = make_state(posts=2, sockets=4, thresholds={"sample_interval_s": 1, "stale_samples": 2})
    for sock in state.sockets():
        sock.relay, sock.last_ms = True, T0 if sock.device == "post-1" else T0 + 1500
    ctx = begin(state, Tick(), T0 + 2001)
    relays = [a for a in ctx.actions if isinstance(a, Relay)]
    # every socket of post-1 was switched on and is stale: one post-level off
    assert [(r.device, r.socket, r.reason) for r in relays] == [("post-1", None, "stale_telemetry")]
    assert isinstance(ctx.actions[0], Relay)  # the events come after the relay-off
    assert sum(isinstance(a, Emit) and isinstance(a.event, InterlockAction) for a in finish(ctx)) == 4
