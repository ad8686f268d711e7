"""Estimate when each socket of a shed frees, and when the first of them does.

Per socket (all times in seconds from ``now``):

* **charging**: time to full from its power curve. In the taper (CV: power below 90 % of the session's
  peak after that peak, at least 3 samples over 10 minutes) the power falls exponentially; a least-squares fit of
  ln(power) over the last 90 minutes gives the time constant, and the charge ends when power reaches
  the shed's typical end ratio x peak. Before the taper (CC), the remaining time comes from the shed's
  completed charges: the median of (hours at peak - hours so far) over charges longer than this one so
  far, where hours = energy / peak power.
* then the bike stays: the dwell after full follows the shed's history (an empirical distribution).
* **full** or **plugged** (idle): only the rest of the dwell, given how long it has already stayed.
* **faulted** never frees by itself, nor does a socket an operator **stopped** (whatever its status: it waits
  for a ``start_socket``); a **free** socket means the answer is 0.

The shed's answer is the median of the first free time: the smallest t where the chance that no socket
has freed, the product of each socket's P(still occupied at t), falls to one half.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from cloud.core.eta.history import EtaHistory
from protocol.uplink import SocketStatus

TAPER_FRACTION = 0.9  # below this share of the peak, the charger is in its CV taper
FIT_WINDOW_S = 90 * 60.0
MIN_FIT_POINTS = 3
MIN_FIT_SPAN_S = 600.0


@dataclass(frozen=True, slots=True)
class SocketObservation:
    """One socket now: status, when it entered it (ms), its session's power samples and energy so far; whether
    an operator stopped it."""

    key: str
    status: SocketStatus
    since_ms: int
    samples: Sequence[tuple[int, float]] = ()  # (ts_ms, power_w) of this charge, oldest first
    energy_wh: float = 0.0
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class SocketEta:
    """One socket's estimate: seconds to full (charging only) and the median seconds until it is free."""

    key: str
    to_full_s: float | None
    to_free_s: float | None  # None: faulted or stopped, will not free by itself
    method: str = ""  # charging only: "taper" (exponential fit) or "history" (completed charges)


@dataclass(frozen=True, slots=True)
class ShedEta:
    """``next_free_s``: 0 when a socket is free now; None when no socket can free (all faulted or stopped)."""

    next_free_s: float | None
    sockets: tuple[SocketEta, ...]


def time_to_full(obs: SocketObservation, history: EtaHistory) -> tuple[float, str]:
    """Seconds until this charging socket's battery is full (>= 0), and the method used ("taper" or "history")."""
    samples = [(t, p) for t, p in obs.samples if p > 0 and math.isfinite(p)]
    if not samples:
        return _remaining_by_history(0.0, history) * 3600.0, "history"
    peak_ms, peak = max(samples, key=lambda s: s[1])
    end_w = median(history.end_ratios()) * peak
    now_ms, now_w = samples[-1]
    # Only after the peak: in CC the power still rises a little (the pack's voltage climbs), so early CC
    # samples can sit just under 90 % of the later peak without being any taper.
    since = max(peak_ms, now_ms - FIT_WINDOW_S * 1000)
    taper = [(t, p) for t, p in samples if t > since and p < TAPER_FRACTION * peak]
    if now_w < TAPER_FRACTION * peak and len(taper) >= MIN_FIT_POINTS:
        tau = _decay_time_constant(taper)
        if tau is not None:
            return (tau * math.log(now_w / end_w) if now_w > end_w else 0.0), "taper"
    return _remaining_by_history(obs.energy_wh / peak, history) * 3600.0, "history"


def _decay_time_constant(points: Sequence[tuple[int, float]]) -> float | None:
    """tau (s) of p = a * exp(-t / tau), by least squares on ln p; None when the data show no decay."""
    t0 = points[0][0]
    xs = [(t - t0) / 1000.0 for t, _ in points]
    if xs[-1] - xs[0] < MIN_FIT_SPAN_S:
        return None
    ys = [math.log(p) for _, p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return -1.0 / slope if slope < 0 else None


def _remaining_by_history(hours_so_far: float, history: EtaHistory) -> float:
    longer = [h - hours_so_far for h in history.charges() if h > hours_so_far]
    if longer:
        return median(longer)
    return 0.25  # longer than every charge seen: assume it ends soon (the taper fit takes over once visible)


def _residual(dwells: Sequence[float], stayed_s: float) -> list[float]:
    """Remaining dwell samples for a bike that has stayed ``stayed_s``; the whole history when it outstayed all."""
    longer = [d - stayed_s for d in dwells if d > stayed_s]
    return sorted(longer) if longer else sorted(dwells)


def estimate(sockets: Sequence[SocketObservation], history: EtaHistory, now_ms: int) -> ShedEta:
    """Every socket's estimate and the shed's median time to its first free socket."""
    dwells = history.dwells()
    per: list[SocketEta] = []
    # Each occupied socket's free time is offset + one of its residual samples, each equally likely.
    curves: list[tuple[float, list[float]]] = []
    free_now = False
    for obs in sockets:
        if obs.stopped or obs.status is SocketStatus.FAULTED:
            per.append(SocketEta(obs.key, None, None))
        elif obs.status is SocketStatus.FREE:
            free_now = True
            per.append(SocketEta(obs.key, None, 0.0))
        elif obs.status is SocketStatus.CHARGING:
            full, method = time_to_full(obs, history)
            rest = sorted(dwells)
            curves.append((full, rest))
            per.append(SocketEta(obs.key, full, full + median(rest), method))
        else:  # FULL or PLUGGED: waiting to be collected
            rest = _residual(dwells, max(0.0, (now_ms - obs.since_ms) / 1000.0))
            curves.append((0.0, rest))
            per.append(SocketEta(obs.key, None if obs.status is SocketStatus.PLUGGED else 0.0, median(rest)))
    if free_now:
        return ShedEta(0.0, tuple(per))
    return ShedEta(_median_of_first(curves), tuple(per))


def _median_of_first(curves: Sequence[tuple[float, list[float]]]) -> float | None:
    """Smallest t with P(no socket free by t) <= 1/2, each socket free at offset + a uniform pick of its samples."""
    if not curves:
        return None
    jumps = sorted((off + r, i) for i, (off, rest) in enumerate(curves) for r in rest)
    remaining = [len(rest) for _, rest in curves]
    p_none = 1.0
    for t, i in jumps:
        p_none *= (remaining[i] - 1) / remaining[i]
        remaining[i] -= 1
        if p_none <= 0.5:
            return t
    return jumps[-1][0]  # unreachable: the last jump of any socket makes p_none 0
