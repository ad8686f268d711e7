"""Split a span of UTC time into the tariff's time-of-use periods, at local wall-clock boundaries.

Boundaries are computed in the tariff's zone with zoneinfo, so midnight and (outside China) daylight
saving changes fall where the local clock says. Times are epoch milliseconds.
"""

from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cloud.core.tariff.model import Period, Tariff


def period_at(tariff: Tariff, ts_ms: int) -> tuple[Period, int]:
    """The period in force at ``ts_ms`` and the epoch ms at which the next band starts (always > ts_ms)."""
    zone = tariff.zone
    local = datetime.fromtimestamp(ts_ms / 1000, tz=UTC).astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    bands = tariff.schedule
    i = bisect_right([b.start for b in bands], wall) - 1
    if i < 0:  # before the day's first band: yesterday's last band still runs until it
        current, nxt, nxt_day = bands[-1], bands[0], 0
    elif i + 1 < len(bands):
        current, nxt, nxt_day = bands[i], bands[i + 1], 0
    else:  # the day's last band runs until tomorrow's first
        current, nxt, nxt_day = bands[i], bands[0], 1
    day = local.date() + timedelta(days=nxt_day)
    boundary = datetime.combine(day, nxt.start, tzinfo=zone)
    next_ms = round(boundary.timestamp() * 1000)
    # A one-band schedule, or a wall time that a daylight-saving change skips, could land at or before
    # ts_ms: always move forward so every split terminates.
    return current.period, max(next_ms, ts_ms + 1)


def split(tariff: Tariff, start_ms: int, end_ms: int) -> Iterator[tuple[int, int, Period]]:
    """Consecutive ``(from_ms, to_ms, period)`` pieces covering [start_ms, end_ms); nothing when empty."""
    t = start_ms
    while t < end_ms:
        period, boundary = period_at(tariff, t)
        upto = min(end_ms, boundary)
        yield t, upto, period
        t = upto
