"""Property tests: whatever readings arrive, the safety invariants hold."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.actions import Emit, Relay
from edge.decide import decide
from edge.inputs import Tick
from protocol.device import EnvironmentReading, PostTelemetry, SocketReading, SocketState
from protocol.uplink import AlarmCleared, AlarmRaised, SocketStatus, SocketStatusChanged
from tests.unit.edge.scenario import T0, make_state, per_socket

readings = st.builds(
    SocketReading,
    socket=st.integers(1, 4),
    voltage_v=st.just(220.0),
    current_a=st.floats(0, 8, allow_nan=False),
    power_w=st.one_of(st.floats(0, 1500, allow_nan=False), st.sampled_from([0.0, 2.0, 20.0, 30.0, 1000.0])),
    energy_wh=st.floats(0, 1e5, allow_nan=False),
    temp_c=st.one_of(st.floats(-20, 90, allow_nan=False), st.sampled_from([25.0, 64.9, 65.0])),
    relay=st.booleans(),
    state=st.sampled_from(list(SocketState)),
)
steps = st.lists(
    st.tuples(
        st.integers(0, 40_000),  # ms since the previous input
        st.one_of(
            st.lists(readings, min_size=1, max_size=4).map(lambda rs: ("tele", rs)),
            st.just(("tick", None)),
            st.builds(lambda h, s: ("env", (h, s)), st.floats(0, 200, allow_nan=False), st.booleans()),
        ),
    ),
    min_size=1,
    max_size=60,
)


def _run(seq: list[tuple[int, tuple[str, Any]]]) -> None:
    state = make_state(sockets=4)
    t = state.config.thresholds
    now = T0
    alarm_up: dict[str, bool] = {}
    last_status: dict[tuple[str, int], SocketStatus] = {}
    for n, (dt, (kind, payload)) in enumerate(seq):
        now += dt
        if kind == "tele":
            event: Any = PostTelemetry(src="post-1", seq=n, ts=now, total_power_w=0.0, sockets=payload)
        elif kind == "env":
            h2, smoke = payload
            event = EnvironmentReading(
                src="env-1",
                seq=n,
                ts=now,
                temp_c=20.0,
                smoke_obscuration_pct_m=0.0,
                smoke_alarm=smoke,
                h2_ppm=h2,
                co_ppm=0.0,
                voc_ppm=0.0,
            )
        else:
            event = Tick()
        was_tripped = {s.socket: s.trip is not None for s in state.sockets()}
        was_shed = bool(state.shed_trips)
        state, actions = decide(state, event, now)
        relays = per_socket(actions, state)
        events = [a.event for a in actions if isinstance(a, Emit)]
        assert not any(isinstance(e, AlarmRaised) and e.alarm_type == "internal_error" for e in events)
        # every over-limit reading trips its socket, and a fresh trip opens the relay in the same decision
        if kind == "tele":
            for r in payload:
                sock = state.posts["post-1"].sockets[r.socket]
                if r.power_w > t.over_power_w or r.current_a > t.over_current_a or r.temp_c >= t.socket_overtemp_c:
                    assert sock.trip is not None
                    if not was_tripped[r.socket] and not was_shed:
                        assert any(a.socket == r.socket and not a.on for a in relays)
        if kind == "env" and (payload[0] > t.h2_ppm or payload[1]):
            assert state.shed_trips
            if not was_shed:  # every socket gets an off command now, or has one in flight already
                cut = {a.socket for a in relays if not a.on}
                assert all(s.socket in cut or (s.pending and not s.pending.on) for s in state.sockets())
        # no relay is ever switched on by a reading
        assert not any(a.on for a in relays)
        for sock in state.sockets():
            if sock.trip is not None or state.shed_trips:
                assert sock.status == SocketStatus.FAULTED
        # alarms alternate raise / clear per id; statuses change only when they do
        for e in events:
            if isinstance(e, AlarmRaised):
                assert not alarm_up.get(e.alarm_id), f"raised twice: {e.alarm_id}"
                alarm_up[e.alarm_id] = True
            elif isinstance(e, AlarmCleared):
                assert alarm_up.get(e.alarm_id), f"cleared while not raised: {e.alarm_id}"
                alarm_up[e.alarm_id] = False
            elif isinstance(e, SocketStatusChanged):
                key = (e.device, e.socket)
                assert last_status.get(key, SocketStatus.FREE) != e.status
                last_status[key] = e.status


@settings(max_examples=300, deadline=None)
@given(steps)
def test_safety_invariants(seq: list[tuple[int, tuple[str, Any]]]) -> None:
    _run(seq)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 1000, allow_nan=False), st.floats(0, 100, allow_nan=False))
def test_off_gas_threshold_is_exact(h2: float, co: float) -> None:
    state = make_state()
    event = EnvironmentReading(
        src="env-1",
        seq=1,
        ts=T0,
        temp_c=20.0,
        smoke_obscuration_pct_m=0.0,
        smoke_alarm=False,
        h2_ppm=h2,
        co_ppm=co,
        voc_ppm=0.0,
    )
    state, _ = decide(state, event, T0)
    assert bool(state.shed_trips) == (h2 > 100.0 or co > 50.0)


def test_an_error_inside_a_rule_fails_safe(monkeypatch) -> None:
    import edge.decide as decide_module

    def boom(*_a: Any, **_k: Any) -> None:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(decide_module, "on_reading", boom)
    state = make_state()
    reading = SocketReading(
        socket=1,
        voltage_v=220.0,
        current_a=1.0,
        power_w=200.0,
        energy_wh=0.0,
        temp_c=25.0,
        relay=True,
        state=SocketState.PLUGGED,
    )
    state, actions = decide(
        state, PostTelemetry(src="post-1", seq=1, ts=T0, total_power_w=200.0, sockets=[reading]), T0
    )
    relays = per_socket(actions, state)
    assert {a.socket for a in relays} == {1, 2, 3, 4} and not any(a.on for a in relays)
    events = [a.event for a in actions if isinstance(a, Emit)]
    assert any(isinstance(e, AlarmRaised) and e.alarm_type == "internal_error" for e in events)
    assert all(s.status == SocketStatus.FAULTED for s in state.sockets())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1200, allow_nan=False), min_size=10, max_size=10))
def test_post_limit_leaves_at_most_the_limit_switched_on(powers: list[float]) -> None:
    state = make_state(sockets=10)
    limit = state.config.thresholds.post_limit_w
    readings = [
        SocketReading(
            socket=i + 1,
            voltage_v=220.0,
            current_a=min(p / 220.0, 4.9),
            power_w=p,
            energy_wh=0.0,
            temp_c=25.0,
            relay=True,
            state=SocketState.PLUGGED,
        )
        for i, p in enumerate(powers)
    ]
    event = PostTelemetry(src="post-1", seq=1, ts=T0, total_power_w=sum(powers), sockets=readings)
    state, actions = decide(state, event, T0)
    cut = {a.socket for a in actions if isinstance(a, Relay) and not a.on}
    still_on = sum(p for i, p in enumerate(powers) if i + 1 not in cut)
    assert still_on <= limit
