"""A community's tariff: time-of-use periods in local time, and a price per kWh or per hour by power band.

Chinese grids price electricity by peak / flat / valley hours (峰 / 平 / 谷); community charging posts
bill either per kWh or per hour with the rate set by the charger's power band (e.g. up to 200 W,
200-400 W, ...). Prices are in yuan (CNY). Every invalid tariff raises TariffError when built, so a
bad configuration is refused when it is saved, never discovered while billing.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"  # China has one civil time zone and no daylight saving time


class TariffError(ValueError):
    """A tariff that cannot bill correctly, or input the cost function refuses; the message says which part."""


class Period(StrEnum):
    """Time-of-use periods."""

    PEAK = "peak"
    FLAT = "flat"
    VALLEY = "valley"


class Billing(StrEnum):
    """How a session is billed."""

    ENERGY = "energy"  # yuan per kWh of the period
    TIME_BY_POWER = "time_by_power"  # yuan per hour, the rate chosen by the interval's average power band


@dataclass(frozen=True, slots=True)
class TimeBand:
    """From ``start`` (local wall-clock time) until the next band's start, ``period`` applies."""

    start: time
    period: Period


@dataclass(frozen=True, slots=True)
class PowerBand:
    """Average power up to ``max_w`` watts (inclusive; ``math.inf`` for the last band) costs ``per_hour`` yuan/h."""

    max_w: float
    per_hour: Mapping[Period, float]


def _check_prices(what: str, prices: Mapping[Period, float], needed: set[Period]) -> None:
    missing = needed - set(prices)
    if missing:
        raise TariffError(f"{what} has no price for {', '.join(sorted(p.value for p in missing))}")
    for period, price in prices.items():
        if not math.isfinite(price) or price < 0:
            raise TariffError(f"{what} price for {period.value} must be a finite number >= 0, got {price}")


@dataclass(frozen=True, slots=True)
class Tariff:
    """One community's tariff.

    ``schedule``: bands by local start time (at least one; the last runs past midnight into the first).
    ``per_kwh``: yuan/kWh per period (ENERGY billing). ``power_bands``: ascending ``max_w``, the last one
    unbounded, rates never falling as power rises (TIME_BY_POWER billing). Raises TariffError.
    """

    community: str
    schedule: tuple[TimeBand, ...]
    billing: Billing = Billing.ENERGY
    per_kwh: Mapping[Period, float] = field(default_factory=dict)
    power_bands: tuple[PowerBand, ...] = ()
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        if not self.schedule:
            raise TariffError("a tariff needs at least one time band")
        starts = [b.start for b in self.schedule]
        if any(s.tzinfo is not None for s in starts):
            raise TariffError("time band starts are local wall-clock times without a zone")
        if len(set(starts)) != len(starts):
            raise TariffError("two time bands start at the same time")
        object.__setattr__(self, "schedule", tuple(sorted(self.schedule, key=lambda b: b.start)))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a zone directory such as "America"
            raise TariffError(f"unknown time zone {self.timezone!r}") from None
        used = {b.period for b in self.schedule}
        if self.billing is Billing.ENERGY:
            _check_prices("per_kwh", self.per_kwh, used)
            object.__setattr__(self, "per_kwh", MappingProxyType(dict(self.per_kwh)))
        else:
            self._check_bands(used)

    def _check_bands(self, used: set[Period]) -> None:
        bands = self.power_bands
        if not bands:
            raise TariffError("time_by_power billing needs at least one power band")
        if bands[-1].max_w != math.inf:
            raise TariffError("the last power band must be unbounded (max_w = inf)")
        for i, band in enumerate(bands):
            _check_prices(f"power band {i} (up to {band.max_w} W)", band.per_hour, used)
            if i and not band.max_w > bands[i - 1].max_w:
                raise TariffError("power bands must be in ascending order of max_w")
            if i and any(band.per_hour[p] < bands[i - 1].per_hour[p] for p in used):
                raise TariffError(f"power band {i} is cheaper than a lower band: more power must never cost less")
        if bands[0].max_w <= 0:
            raise TariffError("power band limits must be > 0 W")

    @property
    def zone(self) -> ZoneInfo:
        """The tariff's local time zone."""
        return ZoneInfo(self.timezone)

    def rate_per_hour(self, period: Period, average_w: float) -> float:
        """Yuan per hour at this average power in this period (TIME_BY_POWER billing)."""
        for band in self.power_bands:
            if average_w <= band.max_w:
                return band.per_hour[period]
        raise TariffError(f"average power {average_w} W fits no band")  # unreachable: the last band is unbounded
