"""The cost of metered energy under a tariff, split at every time-of-use boundary.

Energy in an interval is taken as drawn evenly over it (readings come every 10 s while charging), so
a piece of an interval gets its share of the energy by time. Per-hour billing uses the whole
interval's average power to pick the band. Results are unrounded yuan; ``to_fen`` rounds once, when a
session is charged to a wallet, so cost stays additive over any split of the intervals.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from cloud.core.tariff.metering import EnergyInterval
from cloud.core.tariff.model import Billing, Period, Tariff
from cloud.core.tariff.periods import period_at, split

MS_PER_HOUR = 3_600_000


@dataclass(slots=True)
class PeriodLine:
    """What one period contributed: energy (Wh), time (h) and cost (yuan)."""

    energy_wh: float = 0.0
    hours: float = 0.0
    yuan: float = 0.0


@dataclass(slots=True)
class Cost:
    """A bill: the total in yuan and one line per period that occurred."""

    yuan: float = 0.0
    lines: dict[Period, PeriodLine] = field(default_factory=dict)

    @property
    def energy_wh(self) -> float:
        """Energy billed, in Wh."""
        return sum(line.energy_wh for line in self.lines.values())

    @property
    def fen(self) -> int:
        """The total rounded half-up to the fen (0.01 yuan), as debited from a wallet."""
        return to_fen(self.yuan)


def to_fen(yuan: float) -> int:
    """Yuan to whole fen, rounding half up (on the decimal value, so 0.005 yuan is 1 fen)."""
    return int((Decimal(repr(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cost(intervals: Iterable[EnergyInterval], tariff: Tariff) -> Cost:
    """The cost of these intervals under ``tariff`` (TariffError never raised here: the tariff was checked)."""
    bill = Cost()
    for iv in intervals:
        duration = iv.end_ms - iv.start_ms
        if duration == 0:
            if iv.energy_wh and tariff.billing is Billing.ENERGY:
                period, _ = period_at(tariff, iv.start_ms)  # a lump of energy at one instant: that instant's price
                _add(bill, tariff, period, hours=0.0, energy_wh=iv.energy_wh, average_w=0.0)
            continue
        average_w = iv.energy_wh * MS_PER_HOUR / duration
        for a, b, period in split(tariff, iv.start_ms, iv.end_ms):
            share = (b - a) / duration
            _add(bill, tariff, period, hours=(b - a) / MS_PER_HOUR, energy_wh=iv.energy_wh * share, average_w=average_w)
    return bill


def _add(bill: Cost, tariff: Tariff, period: Period, *, hours: float, energy_wh: float, average_w: float) -> None:
    if tariff.billing is Billing.ENERGY:
        yuan = energy_wh / 1000 * tariff.per_kwh[period]
    else:
        yuan = hours * tariff.rate_per_hour(period, average_w)
    line = bill.lines.setdefault(period, PeriodLine())
    line.energy_wh += energy_wh
    line.hours += hours
    line.yuan += yuan
    bill.yuan += yuan
