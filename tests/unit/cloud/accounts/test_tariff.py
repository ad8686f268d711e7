"""Tariffs: time-of-use splits at local boundaries (midnight, a DST zone), both billing kinds, metering, refusals."""

import math
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cloud.core.tariff.cost import cost, to_fen
from cloud.core.tariff.metering import EnergyInterval, intervals_from_readings
from cloud.core.tariff.model import Billing, Period, PowerBand, Tariff, TariffError, TimeBand
from cloud.core.tariff.periods import period_at, split

P, F, V = Period.PEAK, Period.FLAT, Period.VALLEY
# An example day (not a real grid's schedule): valley 23-07, peak 10-15 and 18-21, flat otherwise.
SCHEDULE = (
    TimeBand(time(7), F),
    TimeBand(time(10), P),
    TimeBand(time(15), F),
    TimeBand(time(18), P),
    TimeBand(time(21), F),
    TimeBand(time(23), V),
)
ENERGY = Tariff("c1", SCHEDULE, per_kwh={P: 1.0, F: 0.6, V: 0.3})
BANDS = (
    PowerBand(200.0, {P: 0.30, F: 0.25, V: 0.20}),
    PowerBand(400.0, {P: 0.50, F: 0.40, V: 0.30}),
    PowerBand(math.inf, {P: 1.00, F: 0.80, V: 0.60}),
)
BY_POWER = Tariff("c1", SCHEDULE, billing=Billing.TIME_BY_POWER, power_bands=BANDS)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ms(y: int, mo: int, d: int, h: int, mi: int = 0, zone: ZoneInfo = SHANGHAI) -> int:
    return round(datetime(y, mo, d, h, mi, tzinfo=zone).timestamp() * 1000)


def test_an_interval_across_the_flat_to_valley_boundary_is_split_by_time() -> None:
    bill = cost([EnergyInterval(ms(2026, 3, 2, 22, 30), ms(2026, 3, 2, 23, 30), 1000.0)], ENERGY)
    assert bill.yuan == pytest.approx(0.5 * 0.6 + 0.5 * 0.3)
    assert bill.lines[F].energy_wh == pytest.approx(500) and bill.lines[V].energy_wh == pytest.approx(500)
    assert bill.fen == 45


def test_midnight_inside_the_valley_is_no_boundary_of_price() -> None:
    bill = cost([EnergyInterval(ms(2026, 3, 2, 23, 30), ms(2026, 3, 3, 0, 30), 1000.0)], ENERGY)
    assert set(bill.lines) == {V} and bill.lines[V].hours == pytest.approx(1.0)
    assert bill.yuan == pytest.approx(0.3)


def test_a_night_session_from_valley_into_the_morning() -> None:
    # 22:00 to 08:00 at a steady 100 W: 1 h flat, 8 h valley, 1 h flat.
    bill = cost([EnergyInterval(ms(2026, 3, 2, 22), ms(2026, 3, 3, 8), 1000.0)], ENERGY)
    assert bill.lines[F].energy_wh == pytest.approx(200) and bill.lines[V].energy_wh == pytest.approx(800)
    assert bill.yuan == pytest.approx(0.2 * 0.6 + 0.8 * 0.3)


def test_before_the_first_band_of_the_day_yesterdays_last_band_runs() -> None:
    period, nxt = period_at(ENERGY, ms(2026, 3, 3, 3))
    assert period is V and nxt == ms(2026, 3, 3, 7)
    period, nxt = period_at(ENERGY, ms(2026, 3, 3, 23, 59))
    assert period is V and nxt == ms(2026, 3, 4, 7)
    assert period_at(ENERGY, ms(2026, 3, 3, 10)) == (P, ms(2026, 3, 3, 15))  # a band starts at its start


def test_per_hour_billing_picks_the_band_of_the_average_power() -> None:
    def two_hours_at(watts: float) -> EnergyInterval:
        return EnergyInterval(ms(2026, 3, 2, 11), ms(2026, 3, 2, 13), 2 * watts)

    assert cost([two_hours_at(150)], BY_POWER).yuan == pytest.approx(2 * 0.30)
    assert cost([two_hours_at(200)], BY_POWER).yuan == pytest.approx(2 * 0.30)  # the limit is inclusive
    assert cost([two_hours_at(300)], BY_POWER).yuan == pytest.approx(2 * 0.50)
    assert cost([two_hours_at(1500)], BY_POWER).yuan == pytest.approx(2 * 1.00)
    # A tapering session: 1 h at 300 W then 1 h at 100 W, in the valley.
    taper = [
        EnergyInterval(ms(2026, 3, 3, 1), ms(2026, 3, 3, 2), 300),
        EnergyInterval(ms(2026, 3, 3, 2), ms(2026, 3, 3, 3), 100),
    ]
    assert cost(taper, BY_POWER).yuan == pytest.approx(0.30 + 0.20)


def test_an_instant_lump_of_energy_is_billed_at_that_instants_price() -> None:
    t = ms(2026, 3, 2, 12)
    assert cost([EnergyInterval(t, t, 500.0)], ENERGY).yuan == pytest.approx(0.5)
    assert cost([EnergyInterval(t, t, 500.0)], BY_POWER).yuan == 0.0  # no time on the socket


def test_boundaries_follow_the_local_clock_in_a_daylight_saving_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    tariff = Tariff(
        "eu",
        (TimeBand(time(0), V), TimeBand(time(2, 30), F), TimeBand(time(6), P)),
        per_kwh={P: 1, F: 1, V: 1},
        timezone="Europe/Berlin",
    )
    start, end = ms(2026, 3, 29, 0, zone=berlin), ms(2026, 3, 29, 8, zone=berlin)  # clocks skip 02:00-03:00
    pieces = list(split(tariff, start, end))
    assert pieces[0][0] == start and pieces[-1][1] == end
    assert all(a < b for a, b, _ in pieces) and all(pieces[i][1] == pieces[i + 1][0] for i in range(len(pieces) - 1))
    assert sum(b - a for a, b, _ in pieces) == 7 * 3_600_000  # a 7-hour night
    assert [p for _, _, p in pieces] == [V, F, P]
    assert pieces[-1][0] == ms(2026, 3, 29, 6, zone=berlin)


def test_readings_become_intervals_through_a_counter_reset_and_bad_readings() -> None:
    readings = [
        (30_000, 12.0),
        (0, 10.0),
        (10_000, 11.0),
        (10_000, 99.0),
        (40_000, 0.5),
        (50_000, -3.0),
        (60_000, 1.5),
        (70_000, math.nan),
    ]
    metered = intervals_from_readings(readings)
    assert [(i.start_ms, i.end_ms, i.energy_wh) for i in metered.intervals] == [
        (0, 10_000, 1.0),
        (10_000, 30_000, 1.0),
        (30_000, 40_000, 0.5),  # the post rebooted: its counter restarted at 0
        (40_000, 60_000, 1.0),
    ]
    assert metered.counter_resets == 1 and metered.dropped == 3


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Tariff("c", ()), "at least one time band"),
        (lambda: Tariff("c", (TimeBand(time(0), V), TimeBand(time(0), P)), per_kwh={P: 1, V: 1}), "same time"),
        (lambda: Tariff("c", SCHEDULE, per_kwh={P: 1, F: 1}), "no price for valley"),
        (lambda: Tariff("c", SCHEDULE, per_kwh={P: 1, F: -1, V: 1}), "finite number >= 0"),
        (lambda: Tariff("c", SCHEDULE, per_kwh={P: math.nan, F: 1, V: 1}), "finite"),
        (lambda: Tariff("c", SCHEDULE, per_kwh={P: 1, F: 1, V: 1}, timezone="Mars/Olympus"), "unknown time zone"),
        (lambda: Tariff("c", (TimeBand(time(0, tzinfo=UTC), V),), per_kwh={V: 1}), "without a zone"),
        (lambda: Tariff("c", SCHEDULE, billing=Billing.TIME_BY_POWER), "at least one power band"),
        (lambda: Tariff("c", SCHEDULE, billing=Billing.TIME_BY_POWER, power_bands=BANDS[:2]), "unbounded"),
        (
            lambda: Tariff("c", SCHEDULE, billing=Billing.TIME_BY_POWER, power_bands=(BANDS[1], BANDS[0], BANDS[2])),
            "ascending",
        ),
        (
            lambda: Tariff(
                "c",
                SCHEDULE,
                billing=Billing.TIME_BY_POWER,
                power_bands=(BANDS[1], PowerBand(math.inf, {P: 0.1, F: 0.1, V: 0.1})),
            ),
            "cheaper than a lower band",
        ),
    ],
)
def test_a_tariff_that_cannot_bill_correctly_is_refused(build, match: str) -> None:
    with pytest.raises(TariffError, match=match):
        build()


@pytest.mark.parametrize(("yuan", "fen"), [(0.0, 0), (0.005, 1), (0.0049, 0), (1.235, 124), (12.345, 1235), (0.45, 45)])
def test_rounding_to_the_fen_is_half_up(yuan: float, fen: int) -> None:
    assert to_fen(yuan) == fen


YEAR = ms(2026, 1, 1, 0)
starts = st.integers(YEAR, YEAR + 365 * 86_400_000)
durations = st.integers(1, 2 * 86_400_000)
energies = st.floats(0, 5000, allow_nan=False)
tariffs = st.sampled_from([ENERGY, BY_POWER])


def _near_band_limit(energy_wh: float, duration_ms: int) -> bool:
    average = energy_wh * 3_600_000 / duration_ms
    return any(abs(average - b.max_w) < 1e-6 for b in BANDS)


@given(tariffs, starts, durations, energies, st.floats(0.0, 1.0))
def test_cost_is_additive_over_any_split(tariff: Tariff, start: int, duration: int, energy: float, at: float) -> None:
    assume(not _near_band_limit(energy, duration))
    cut = start + round(duration * at)
    whole = cost([EnergyInterval(start, start + duration, energy)], tariff)
    parts = cost(
        [
            EnergyInterval(start, cut, energy * (cut - start) / duration),
            EnergyInterval(cut, start + duration, energy * (start + duration - cut) / duration),
        ],
        tariff,
    )
    assert parts.yuan == pytest.approx(whole.yuan, rel=1e-9, abs=1e-9)
    assert whole.energy_wh == pytest.approx(energy, rel=1e-9, abs=1e-9)
    assert sum(line.hours for line in whole.lines.values()) == pytest.approx(duration / 3_600_000)


@given(tariffs, starts, durations, energies, energies)
def test_cost_is_non_negative_and_monotone_in_energy(
    tariff: Tariff, start: int, duration: int, e1: float, e2: float
) -> None:
    lo, hi = sorted((e1, e2))
    c_lo = cost([EnergyInterval(start, start + duration, lo)], tariff).yuan
    c_hi = cost([EnergyInterval(start, start + duration, hi)], tariff).yuan
    assert 0 <= c_lo <= c_hi + 1e-12
