"""Alarm-load figures after EEMUA 191 (3rd ed.) and ISA-18.2: is the alarm system usable by the people on duty?

- alarms per operator per 10 minutes (EEMUA 191's acceptable average: about 1);
- floods: 10-minute windows with 10 or more alarms (ISA-18.2's flood definition), counted per window start
  at each alarm, merged when they overlap;
- chattering: keys raised 3 or more times within one minute, counting every raise: a new instance's, and each
  re-raise of an open one (a return, an update: chattering damping keeps a flapping key's one instance open, so
  its flaps are re-raises, the very thing to count);
- standing: alarms open now; stale: open for more than 24 hours;
- false-alarm rate per device: resolved false / all resolved, with the count (GB 50440 flags more than 5 a day).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cloud.core.alarms.incidents import Resolution

TEN_MIN_MS = 600_000
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class AlarmRecord:
    """One annunciated alarm: key text, device, raised (UTC ms), closed (None: open), the classification of each
    resolved incident it joined (oldest first; an unshelved alarm may take part in two), and the times of its
    re-raises while open (after ``raised_ms``)."""

    key: str
    device: str
    raised_ms: int
    closed_ms: int | None = None
    resolutions: tuple[Resolution, ...] = ()
    reraised_ms: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Load:
    """The figures over [start_ms, end_ms)."""

    alarms: int
    per_operator_per_10min: float
    floods: int
    peak_10min: int
    chattering: tuple[str, ...]
    standing: int
    stale: int
    false_rate: dict[str, tuple[int, float]]  # device -> (false count, false / classified)


def _floods(times: Sequence[int], threshold: int) -> tuple[int, int]:
    peak = 0
    floods = 0
    flood_end = -1
    lo = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - TEN_MIN_MS:
            lo += 1
        n = hi - lo + 1
        peak = max(peak, n)
        if n >= threshold:
            if times[lo] > flood_end:
                floods += 1
            flood_end = t + TEN_MIN_MS
    return floods, peak


def load(records: Iterable[AlarmRecord], *, start_ms: int, end_ms: int, operators: int = 1, flood_at: int = 10) -> Load:
    """EEMUA 191 figures of the alarms raised in [start_ms, end_ms); standing and stale as at ``end_ms``."""
    if end_ms <= start_ms or operators < 1:
        raise ValueError("need end_ms > start_ms and operators >= 1")
    all_records = list(records)
    inside = sorted((r for r in all_records if start_ms <= r.raised_ms < end_ms), key=lambda r: r.raised_ms)
    times = [r.raised_ms for r in inside]
    floods, peak = _floods(times, flood_at)
    by_key: dict[str, list[int]] = {}
    for r in all_records:
        raises = (r.raised_ms, *r.reraised_ms)
        by_key.setdefault(r.key, []).extend(t for t in raises if start_ms <= t < end_ms)
    for ts in by_key.values():
        ts.sort()
    chattering = tuple(
        sorted(k for k, ts in by_key.items() if any(ts[i + 2] - ts[i] < 60_000 for i in range(len(ts) - 2)))
    )
    open_now = [r for r in all_records if r.raised_ms < end_ms and (r.closed_ms is None or r.closed_ms > end_ms)]
    classified: dict[str, list[bool]] = {}
    for r in inside:
        for resolution in r.resolutions:
            classified.setdefault(r.device, []).append(resolution is Resolution.FALSE)
    windows = (end_ms - start_ms) / TEN_MIN_MS
    return Load(
        alarms=len(inside),
        per_operator_per_10min=len(inside) / windows / operators,
        floods=floods,
        peak_10min=peak,
        chattering=chattering,
        standing=len(open_now),
        stale=sum(1 for r in open_now if end_ms - r.raised_ms > DAY_MS),
        false_rate={d: (sum(v), sum(v) / len(v)) for d, v in sorted(classified.items())},
    )
