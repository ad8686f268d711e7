"""The battery and charger model: charge times, the CC/CV knee and the full point in expected ranges."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.battery import CHARGER_STANDBY_W, Battery, BatterySpec, Chemistry


def charge_until_full(b: Battery, step_s: float = 10.0, limit_h: float = 30.0) -> tuple[float, float, float | None]:
    """(hours to full, AC Wh drawn, SOC at the CC->CV knee)."""
    t = 0.0
    wh = 0.0
    knee = None
    while not b.full and t < limit_h * 3600:
        if knee is None and b.dc_current() < b.spec.cc_current_a - 1e-9:
            knee = b.soc
        wh += b.charge(step_s)
        t += step_s
    return t / 3600, wh, knee


def test_lithium_48v_20ah_200w_charges_in_four_to_seven_hours() -> None:
    hours, wh, knee = charge_until_full(Battery(BatterySpec(Chemistry.LITHIUM, 48, 20, 200), soc=0.2))
    assert 4.0 <= hours <= 7.0
    assert knee is not None and 0.8 <= knee <= 0.95  # CV takes over for the last 5-20 %
    # 0.8 x 20 Ah x ~52 V = ~830 Wh into the pack; 85 % efficient charger draws ~980 Wh.
    assert 850 <= wh <= 1100


def test_cc_phase_draws_about_the_rated_power_then_full_draws_standby_only() -> None:
    b = Battery(BatterySpec(Chemistry.LITHIUM, 60, 30, 300), soc=0.1)
    assert 0.8 * 300 <= b.ac_power() <= 1.05 * 300
    charge_until_full(b)
    assert b.full and b.soc == 1.0
    assert b.ac_power() == CHARGER_STANDBY_W
    assert 3.0 < b.ac_power() < 30.0  # below the 30 W "full" point, above the 3 W "unplugged" point


def test_lead_acid_takes_longer_than_lithium_of_the_same_size() -> None:
    li, _, _ = charge_until_full(Battery(BatterySpec(Chemistry.LITHIUM, 48, 20, 200), soc=0.2))
    pb, _, knee = charge_until_full(Battery(BatterySpec(Chemistry.LEAD_ACID, 48, 20, 200), soc=0.2))
    assert pb > li
    assert 6.0 <= pb <= 11.0
    assert knee is not None and knee < 0.85  # long absorption phase


def test_illegal_charger_draws_over_a_kilowatt() -> None:
    b = Battery(BatterySpec(Chemistry.LITHIUM, 48, 20, 1500), soc=0.2)
    assert b.ac_power() > 1000


def test_power_tapers_in_cv() -> None:
    b = Battery(BatterySpec(), soc=0.2)
    powers = []
    while not b.full:
        powers.append(b.ac_power())
        b.charge(60)
    tail = powers[-30:]
    assert all(a >= b2 - 1e-9 for a, b2 in itertools.pairwise(tail))
    assert tail[-1] < 0.5 * powers[0]  # the charger stops at C/20 (lithium)


def test_full_battery_on_arrival_stays_full() -> None:
    b = Battery(BatterySpec(), soc=1.0)
    assert b.full
    assert b.charge(60) == pytest.approx(CHARGER_STANDBY_W / 60)


@pytest.mark.parametrize(
    "kwargs",
    [{"voltage": 36}, {"capacity_ah": 0.5}, {"charger_w": 5}],
)
def test_bad_specs_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BatterySpec(**kwargs)  # type: ignore[arg-type]


def test_bad_soc_is_refused() -> None:
    with pytest.raises(ValueError):
        Battery(BatterySpec(), soc=1.2)


@settings(max_examples=30, deadline=None)
@given(
    chemistry=st.sampled_from(list(Chemistry)),
    voltage=st.sampled_from([48, 60]),
    capacity=st.floats(10, 30),
    charger=st.floats(100, 400),
    soc=st.floats(0, 0.95),
)
def test_every_bike_in_range_charges_fully_in_bounded_time(
    chemistry: Chemistry, voltage: int, capacity: float, charger: float, soc: float
) -> None:
    b = Battery(BatterySpec(chemistry, voltage, capacity, charger), soc=soc)
    assert b.ac_power() <= charger * 1.05 + CHARGER_STANDBY_W
    last_soc = b.soc
    hours, wh, _ = charge_until_full(b, step_s=60.0)
    # CC time for the missing charge (with coulombic losses) plus a CV tail of at most a few hours.
    bound_h = (1 - soc) * capacity / b.spec.cc_current_a / 0.9 + 4.5
    assert b.full and hours <= bound_h
    assert wh >= 0 and b.soc >= last_soc
