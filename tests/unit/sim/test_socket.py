"""The socket state machine and relay obedience."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.device import SocketState
from protocol.uplink import SocketStatus
from simulators.battery import Battery, BatterySpec
from simulators.socket import SocketTwin, is_normal_stop


def test_empty_plugged_charging_full_unplugged() -> None:
    s = SocketTwin(number=1)
    assert s.truth() is SocketStatus.FREE and not s.relay
    s.plug(Battery(BatterySpec(capacity_ah=10, charger_w=300), soc=0.8))
    assert s.relay, "a plug-in starts the session at the post"
    assert s.truth() is SocketStatus.CHARGING
    s.step(1, 20.0)
    assert s.power_w > 100
    for _ in range(6 * 3600):
        s.step(1, 20.0)
        if s.bike is not None and s.bike.full:
            break
    assert s.truth() is SocketStatus.FULL
    s.step(1, 20.0)
    assert s.power_w < 30
    s.unplug()
    assert s.truth() is SocketStatus.FREE and not s.relay and s.power_w == 0


def test_opening_the_relay_stops_current_at_once() -> None:
    s = SocketTwin(number=2)
    s.plug(Battery(BatterySpec(), soc=0.2))
    s.step(1, 20.0)
    assert s.power_w > 100
    ok, err = s.set_relay(False, "over_temperature")
    assert ok and err is None
    assert s.power_w == 0  # before any physics step
    energy = s.energy_wh
    s.step(10, 20.0)
    assert s.power_w == 0 and s.energy_wh == energy
    assert s.reading(random.Random(0)).current_a == 0


def test_safety_cut_latches_faulted_until_switched_on_again() -> None:
    s = SocketTwin(number=1)
    s.plug(Battery(BatterySpec(), soc=0.2))
    s.set_relay(False, "over_power")
    assert s.truth() is SocketStatus.FAULTED
    s.unplug()
    assert s.truth() is SocketStatus.FAULTED, "the trip latches after the bike leaves"
    s.plug(Battery(BatterySpec(), soc=0.2))
    assert not s.relay, "a latched trip keeps the relay open on a new plug-in"
    s.set_relay(True, "reset")
    assert s.relay and s.truth() is SocketStatus.CHARGING


def test_normal_stop_shows_plugged_or_full() -> None:
    s = SocketTwin(number=1)
    s.plug(Battery(BatterySpec(), soc=0.2))
    s.set_relay(False, "refused")
    assert s.truth() is SocketStatus.PLUGGED
    s2 = SocketTwin(number=2)
    s2.plug(Battery(BatterySpec(), soc=0.8))
    for _ in range(3600):  # charged here until its charger stopped
        s2.step(10.0, 20.0)
    assert s2.bike is not None and s2.bike.full
    s2.set_relay(False, "float_done")
    assert s2.truth() is SocketStatus.FULL
    s3 = SocketTwin(number=3)
    s3.plug(Battery(BatterySpec(), soc=1.0))  # plugged in already full: it never drew charging power
    s3.step(10.0, 20.0)
    assert s3.truth() is SocketStatus.PLUGGED


@pytest.mark.parametrize("reason", ["full", "FULL ", "unplugged", "max_session", "stop_socket"])
def test_normal_reasons(reason: str) -> None:
    assert is_normal_stop(reason)


@pytest.mark.parametrize("reason", ["over_temperature", "off_gas", "smoke", "stale_telemetry", ""])
def test_safety_reasons(reason: str) -> None:
    assert not is_normal_stop(reason)


def test_post_fault_refuses_switch_on_and_reports_fault_state() -> None:
    s = SocketTwin(number=1, post_fault="relay welded")
    ok, err = s.set_relay(True, "start")
    assert not ok and err is not None and "relay welded" in err
    r = s.reading(random.Random(0))
    assert r.state is SocketState.FAULT and r.fault == "relay welded"
    assert s.truth() is SocketStatus.FAULTED


def test_contacts_warm_with_current_and_cool_without() -> None:
    s = SocketTwin(number=1, temp_c=20.0)
    s.plug(Battery(BatterySpec(charger_w=1000), soc=0.1))
    for _ in range(1800):
        s.step(1, 20.0)
    warm = s.temp_c
    assert 22.0 < warm < 40.0
    s.set_relay(False, "user_stop")
    for _ in range(3600):
        s.step(1, 20.0)
    assert s.temp_c < warm - 2


def test_meter_reading_is_consistent() -> None:
    s = SocketTwin(number=3)
    s.plug(Battery(BatterySpec(), soc=0.2))
    s.step(10, 20.0)
    r = s.reading(random.Random(1))
    assert r.socket == 3 and r.relay and r.state is SocketState.PLUGGED
    assert r.power_w == pytest.approx(r.voltage_v * r.current_a, rel=0.01)
    assert 210 <= r.voltage_v <= 230
    assert r.energy_wh > 0


def test_a_charger_draws_from_the_moment_the_relay_closes() -> None:
    s = SocketTwin(number=1)
    s.plug(Battery(BatterySpec(), soc=0.3))
    assert s.power_w > 100  # before any physics step: the first report after plug-in shows it
    s.set_relay(False, "user_stop")
    assert s.power_w == 0
    s.set_relay(True, "operator_start")
    assert s.power_w > 100


_ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("plug"), st.floats(0, 1), st.sampled_from([100.0, 250.0, 1500.0])),
        st.tuples(st.just("unplug"), st.just(0.0), st.just(0.0)),
        st.tuples(st.just("off"), st.just(0.0), st.sampled_from(["full", "over_power", "smoke", "unplugged"])),
        st.tuples(st.just("on"), st.just(0.0), st.just("operator_start")),
        st.tuples(st.just("step"), st.floats(0.1, 600), st.just(0.0)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(actions=_ACTIONS)
def test_socket_invariants_under_any_sequence(actions: list[tuple[str, float, object]]) -> None:
    s = SocketTwin(number=1)
    rng = random.Random(0)
    energy = 0.0
    for kind, x, y in actions:
        if kind == "plug":
            s.plug(Battery(BatterySpec(charger_w=float(y)), soc=x))  # type: ignore[arg-type]
        elif kind == "unplug":
            s.unplug()
        elif kind == "off":
            was = s.tripped
            s.set_relay(False, str(y))
            # a safety reason latches; a normal stop neither latches nor lifts a latch
            assert s.tripped == (was or str(y) not in ("full", "unplugged"))
        elif kind == "on":
            assert s.set_relay(True, str(y)) == (True, None)
        else:
            s.step(x, 20.0)
        assert s.energy_wh >= energy
        energy = s.energy_wh
        if not s.relay:
            assert s.power_w == 0 and s.reading(rng).current_a == 0
        status = s.truth()
        if s.tripped:
            assert status is SocketStatus.FAULTED
        elif s.bike is None:
            assert status is SocketStatus.FREE
        elif s.bike.full:
            assert status is (SocketStatus.FULL if s.charged else SocketStatus.PLUGGED)
        else:
            assert status is (SocketStatus.CHARGING if s.relay else SocketStatus.PLUGGED)
