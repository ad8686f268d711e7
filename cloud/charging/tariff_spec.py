"""A tariff as JSON (the API's body and the stored ``tariffs.body``), and to and from the core's ``Tariff``.

Shape (docs/api.md, "Tariffs")::

    {"timezone": "Asia/Shanghai", "billing": "energy",
     "schedule": [{"start": "00:00", "period": "valley"}, {"start": "08:00", "period": "flat"}, ...],
     "per_kwh": {"peak": 1.0, "flat": 0.6, "valley": 0.3},
     "power_bands": [{"max_w": 200, "per_hour": {...}}, {"max_w": null, "per_hour": {...}}]}

Prices in yuan; ``max_w`` null is the unbounded last band. ``to_tariff`` raises TariffError (the core's checks:
missing prices, bands out of order, an unknown zone, ...), so a bad tariff is refused when it is saved.
"""

import math
from datetime import time
from typing import Annotated

from pydantic import BaseModel, Field

from cloud.core.tariff.model import DEFAULT_TIMEZONE, Billing, Period, PowerBand, Tariff, TariffError, TimeBand

Price = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]


class TimeBandSpec(BaseModel):
    """From ``start`` (local "HH:MM", 24 h) until the next band's start, ``period`` applies."""

    start: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]
    period: Period


class PowerBandSpec(BaseModel):
    """Average power up to ``max_w`` W (inclusive; null: unbounded, the last band) costs ``per_hour`` yuan/h."""

    max_w: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)] | None
    per_hour: dict[Period, Price]


class TariffSpec(BaseModel):
    """A community's tariff as the API takes and gives it."""

    timezone: Annotated[str, Field(min_length=1, max_length=64)] = DEFAULT_TIMEZONE
    billing: Billing = Billing.ENERGY
    schedule: Annotated[list[TimeBandSpec], Field(min_length=1, max_length=48)]
    per_kwh: dict[Period, Price] = {}
    power_bands: Annotated[list[PowerBandSpec], Field(max_length=16)] = []

    def to_tariff(self, community: str) -> Tariff:
        """The core's tariff; raises TariffError when it cannot bill correctly."""
        schedule = []
        for band in self.schedule:
            hour, minute = band.start.split(":")
            schedule.append(TimeBand(time(int(hour), int(minute)), band.period))
        bands = tuple(PowerBand(math.inf if b.max_w is None else b.max_w, dict(b.per_hour)) for b in self.power_bands)
        if self.billing is Billing.ENERGY and bands:
            raise TariffError("energy billing takes per_kwh prices, not power bands")
        if self.billing is Billing.TIME_BY_POWER and self.per_kwh:
            raise TariffError("time_by_power billing takes power bands, not per_kwh prices")
        return Tariff(
            community=community,
            schedule=tuple(schedule),
            billing=self.billing,
            per_kwh=dict(self.per_kwh),
            power_bands=bands,
            timezone=self.timezone,
        )

    @classmethod
    def of(cls, tariff: Tariff) -> "TariffSpec":
        """The JSON form of a core tariff."""
        return cls(
            timezone=tariff.timezone,
            billing=tariff.billing,
            schedule=[TimeBandSpec(start=b.start.strftime("%H:%M"), period=b.period) for b in tariff.schedule],
            per_kwh=dict(tariff.per_kwh),
            power_bands=[
                PowerBandSpec(max_w=None if b.max_w == math.inf else b.max_w, per_hour=dict(b.per_hour))
                for b in tariff.power_bands
            ],
        )
