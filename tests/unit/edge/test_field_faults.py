"""Field faults over wide inputs: any wall clock, any device stamp, any field out of its plausible range."""

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.actions import Emit, Relay
from edge.contract_clock import ContractClock
from edge.decide import decide
from edge.inputs import Tick
from edge.state import new_state
from protocol.clock import ManualClock
from protocol.config import PostSpec, ShedConfig
from protocol.device import (
    REPRESENTABLE,
    EdgeKeepAlive,
    EnvironmentReading,
    PostTelemetry,
    RelayCommand,
    SocketReading,
    SocketState,
)
from protocol.plausible import SOCKET_RANGES
from protocol.uplink import AlarmRaised
from tests.unit.edge.scenario import T0, make_state, per_socket

walls = st.integers(0, 2**53 - 1)


def _reading(socket: int, **change: float) -> SocketReading:
    base = {"voltage_v": 220.0, "current_a": 0.9, "power_w": 200.0, "energy_wh": 10.0, "temp_c": 30.0}
    return SocketReading.model_validate({"socket": socket, "relay": True, "state": SocketState.PLUGGED} | base | change)


def _post(ts: int, *readings: SocketReading) -> PostTelemetry:
    return PostTelemetry(src="post-1", seq=1, ts=ts, total_power_w=0.0, sockets=list(readings))


def _off_gas(ts: int) -> EnvironmentReading:
    """An off-gas sensor reading hydrogen far above its limit."""
    return EnvironmentReading(
        src="env-1",
        seq=1,
        ts=ts,
        temp_c=22.0,
        smoke_obscuration_pct_m=0.0,
        smoke_alarm=False,
        h2_ppm=500.0,
        co_ppm=0.0,
        voc_ppm=0.0,
    )


def _offs(actions: Sequence[object]) -> dict[int | None, str]:
    return {a.socket: a.reason for a in actions if isinstance(a, Relay) and not a.on}


@given(wall=walls, device_ts=walls)
@settings(max_examples=200, deadline=None)
def test_over_power_cuts_whatever_the_clocks_read(wall: int, device_ts: int) -> None:
    state = make_state()
    _, actions = decide(state, _post(device_ts, _reading(1, power_w=1500.0)), T0, wall)
    assert _offs(actions) == {1: "over_power"}
    events = [a.event for a in actions if isinstance(a, Emit)]
    assert all(e.ts == wall for e in events)
    assert all(e.clock_suspect == (not 1_577_836_800_000 <= wall <= 4_102_444_800_000) for e in events)


@given(wall=walls, device_ts=walls)
@settings(max_examples=200, deadline=None)
def test_over_temperature_is_judged_on_receipt_whatever_the_device_stamp(wall: int, device_ts: int) -> None:
    state = make_state()
    _, actions = decide(state, _post(device_ts, _reading(2, temp_c=90.0)), T0, wall)
    assert _offs(actions) == {2: "socket_overtemp"}


@given(wall=walls)
@settings(max_examples=100, deadline=None)
def test_off_gas_cuts_the_shed_whatever_the_wall_clock(wall: int) -> None:
    state = make_state()
    decide(state, _post(wall, _reading(1), _reading(3)), T0, wall)
    _, actions = decide(state, _off_gas(wall), T0 + 1000, wall)
    assert _offs(per_socket(actions, state)) == {n: "off_gas" for n in range(1, 5)}  # every socket, forced


@given(
    wall0=walls,
    step_ms=st.integers(-(2**52), 2**52),
)
@settings(max_examples=100, deadline=None)
def test_a_wall_step_moves_no_timer(wall0: int, step_ms: int) -> None:
    """Stale telemetry is cut after 30 s of monotonic time, never sooner or later, however the wall clock steps."""
    state = make_state()
    decide(state, _post(wall0, _reading(1)), T0, wall0)
    wall1 = max(0, min(2**53 - 1, wall0 + step_ms))
    _, early = decide(state, Tick(), T0 + 29_000, wall1)
    _, late = decide(state, Tick(), T0 + 31_000, wall1)
    assert _offs(early) == {}
    assert _offs(late) == {1: "stale_telemetry"}


def _outside(name: str) -> st.SearchStrategy[float]:
    rng = SOCKET_RANGES[name]
    return st.one_of(
        st.floats(-REPRESENTABLE, rng.low, exclude_max=True, allow_nan=False),
        st.floats(rng.high, REPRESENTABLE, exclude_min=True, allow_nan=False),
    )


@given(data=st.data(), name=st.sampled_from(sorted(SOCKET_RANGES)), bad_socket=st.integers(1, 4))
@settings(max_examples=300, deadline=None)
def test_any_field_out_of_range_cuts_only_its_socket(data: st.DataObject, name: str, bad_socket: int) -> None:
    value = data.draw(_outside(name))
    state = make_state()
    good = [_reading(n) for n in range(1, 5) if n != bad_socket]
    _, actions = decide(state, _post(T0, *good, _reading(bad_socket, **{name: value})), T0, T0)
    offs = _offs(actions)
    assert bad_socket in offs  # no longer supervised: cut
    assert set(offs) == {bad_socket}  # its siblings keep charging
    alarms = [a.event for a in actions if isinstance(a, Emit) and isinstance(a.event, AlarmRaised)]
    assert any(e.alarm_type == "sensor_fault" and e.socket == bad_socket and name in e.message for e in alarms)
    for sib in good:
        assert state.posts["post-1"].sockets[sib.socket].trip is None


def test_status_events_stay_valid_for_the_longest_device_id_and_any_clock() -> None:
    """Status events are built without re-validation on the hot path: they must still satisfy the contract."""
    long_id = "p" * 64
    state = new_state(ShedConfig(shed="shed-a", posts=[PostSpec(id=long_id, sockets=2)]), T0)
    msg = PostTelemetry(src=long_id, seq=1, ts=T0, total_power_w=0.0, sockets=[_reading(1), _reading(2)])
    for wall in (0, T0, 2**53 - 1):
        _, actions = decide(state, msg, T0, wall)
        for a in actions:
            if isinstance(a, Emit):
                type(a.event).model_validate(a.event.model_dump())
        state = new_state(state.config, T0)


int64 = st.integers(-(2**63), 2**63 - 1)


def _all_valid(actions: Sequence[object], wall: int) -> None:
    """Every event validates, and a relay command stamped with the decision's wall time would too."""
    for a in actions:
        if isinstance(a, Emit):
            type(a.event).model_validate(a.event.model_dump())
            assert a.event.clock_suspect == (not 1_577_836_800_000 <= wall <= 4_102_444_800_000)
        elif isinstance(a, Relay):
            stamp = max(0, min(2**53 - 1, wall))
            RelayCommand(
                src="shed-a", seq=1, ts=stamp, request_id=a.request_id, socket=a.socket, on=a.on, reason=a.reason
            )


@given(wall=int64)
@settings(max_examples=200, deadline=None)
def test_any_int64_wall_clock_still_cuts_over_power_and_off_gas_with_valid_messages(wall: int) -> None:
    """A clock before 1970 or past the contract's 2**53 - 1 ms: the interlocks decide and every message is valid."""
    state = make_state()
    _, actions = decide(state, _post(T0, _reading(1, power_w=1500.0), _reading(3)), T0, wall)
    assert _offs(actions) == {1: "over_power"}
    _all_valid(actions, wall)
    _, actions = decide(state, _off_gas(T0), T0 + 1000, wall)
    assert set(_offs(per_socket(actions, state)).values()) == {"off_gas"}
    _all_valid(actions, wall)
    _, actions = decide(state, Tick(), T0 + 2000, wall)  # the edge's own clock alarm, and the keep-going tick
    _all_valid(actions, wall)


@given(offset=int64)
@settings(max_examples=200, deadline=None)
def test_the_agents_clock_stamps_every_message_inside_the_contract(offset: int) -> None:
    """The agent reads its wall time through ContractClock: relay commands and keep-alives always validate."""
    inner = ManualClock(T0)
    inner.step_wall(offset / 1000)
    clock = ContractClock(inner)
    ts = clock.now_ms()
    assert 0 <= ts <= 2**53 - 1 and clock.mono_ms() == T0
    RelayCommand(src="shed-a", seq=ts, ts=ts, request_id="r1", socket=None, on=False, reason="over_power")
    EdgeKeepAlive(src="shed-a", seq=ts, ts=ts, interval_s=15.0)
