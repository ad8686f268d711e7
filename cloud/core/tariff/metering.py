"""Turn a socket's cumulative energy-meter readings into metered intervals for billing.

A post's energy counter restarts at 0 when the post reboots (a known field fact): a reading below
the previous one starts a new counter, and that interval is billed the new reading (the energy since
the restart), never a negative amount. Readings that cannot be true (negative or not finite) are
dropped and counted, never allowed to stop the bill.
"""

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EnergyInterval:
    """``energy_wh`` drawn evenly between ``start_ms`` and ``end_ms`` (epoch ms; end >= start; energy >= 0)."""

    start_ms: int
    end_ms: int
    energy_wh: float

    def __post_init__(self) -> None:
        if self.end_ms < self.start_ms:
            raise ValueError(f"interval ends before it starts: {self.start_ms} > {self.end_ms}")
        if not math.isfinite(self.energy_wh) or self.energy_wh < 0:
            raise ValueError(f"interval energy must be a finite number >= 0 Wh, got {self.energy_wh}")


@dataclass(frozen=True, slots=True)
class Metered:
    """Intervals between consecutive good readings, with what was set aside on the way."""

    intervals: tuple[EnergyInterval, ...]
    counter_resets: int  # readings below the previous one (post rebooted)
    dropped: int  # readings refused: negative, not finite, or a repeated timestamp


def intervals_from_readings(readings: Iterable[tuple[int, float]]) -> Metered:
    """Intervals from ``(ts_ms, counter_wh)`` readings of one socket in any order (sorted by time here)."""
    good: list[tuple[int, float]] = []
    dropped = 0
    seen: set[int] = set()
    for ts, wh in sorted(readings, key=lambda r: r[0]):
        if not math.isfinite(wh) or wh < 0 or ts in seen:
            dropped += 1
            continue
        seen.add(ts)
        good.append((ts, wh))
    intervals: list[EnergyInterval] = []
    resets = 0
    for (t0, e0), (t1, e1) in itertools.pairwise(good):
        if e1 < e0:
            resets += 1
            delta = e1
        else:
            delta = e1 - e0
        intervals.append(EnergyInterval(t0, t1, delta))
    return Metered(tuple(intervals), resets, dropped)
