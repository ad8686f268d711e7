"""Accuracy of the next-free-socket ETA against the simulator's ground truth (offline, simulated time).

python -m bench.eta [--quick] [--days D] [--scale X] [--seed N]

A 3 x 10-socket shed with residents runs in simulated time (no broker). An observer builds what the
cloud would know from the posts' telemetry alone (status, power samples, energy) and learns the shed's
history as it goes; after a day of warm-up, every 15 simulated minutes it asks cloud.core.eta for each
charging socket's time to full, each occupied socket's time to free, and (when no socket is free) the
shed's next free socket (and, whether or not one is free, the first of its occupied sockets to free),
and compares each with what the truth file says happened. ``naive_next_free`` scores a baseline for the
occupied figure: the last free seen plus the median gap between frees seen so far.
Keys: *_abs_err_min_p50 / _p90 (absolute error, minutes), *_n (predictions scored), est_ms_p50.
"""

import itertools
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import emit, parser, percentile
from cloud.core.eta.estimate import SocketObservation, estimate
from cloud.core.eta.history import EtaHistory
from protocol.config import ShedConfig
from protocol.device import PostTelemetry, SocketState
from protocol.uplink import SocketStatus
from simulators.shed import ShedSim

START_MS = 1_772_380_800_000  # 2026-03-02 00:00 Asia/Shanghai
MIN_MS = 60_000
EVAL_EVERY_MS = 15 * MIN_MS
FULL_W = 30.0  # the DOMAIN "full" point


@dataclass
class Observed:
    """What the cloud knows of one socket, from telemetry only."""

    status: SocketStatus = SocketStatus.FREE
    since_ms: int = 0
    samples: list[tuple[int, float]] = field(default_factory=list)
    counter_at_plug: float = 0.0
    counter: float = 0.0
    last_charging_w: float = 0.0
    full_at: int | None = None


class Observer:
    """Socket statuses and the shed's ETA history, learned from telemetry as the cloud would."""

    def __init__(self) -> None:
        self.sockets: dict[str, Observed] = {}
        self.history = EtaHistory()
        self.unplugs: list[int] = []  # when sockets were seen to free (for the naive baseline)

    def reading(self, key: str, ts: int, state: SocketState, power: float, counter: float) -> None:
        s = self.sockets.setdefault(key, Observed(since_ms=ts))
        s.counter = counter
        if state is SocketState.FAULT:
            s.status, s.since_ms = SocketStatus.FAULTED, ts
            return
        if state is SocketState.EMPTY:
            if s.status is not SocketStatus.FREE:
                if s.full_at is not None:
                    self.history = self.history.with_dwell((ts - s.full_at) / 1000)
                self.sockets[key] = Observed(since_ms=ts, counter=counter)
                self.unplugs.append(ts)
            return
        if s.status is SocketStatus.FREE:
            s.status, s.since_ms, s.counter_at_plug, s.samples = SocketStatus.PLUGGED, ts, counter, []
        if power >= FULL_W:
            if s.status is not SocketStatus.CHARGING:
                s.status, s.since_ms = SocketStatus.CHARGING, ts
            s.samples.append((ts, power))
            s.last_charging_w = power
        elif s.status is SocketStatus.CHARGING:
            peak = max(p for _, p in s.samples)
            self.history = self.history.with_charge(
                energy_wh=counter - s.counter_at_plug, peak_w=peak, end_w=s.last_charging_w
            )
            s.status, s.since_ms, s.full_at = SocketStatus.FULL, ts, ts
        elif s.full_at is None and s.status is SocketStatus.PLUGGED:
            s.full_at = s.since_ms  # already full when first seen: its dwell counts from then

    def observations(self) -> list[SocketObservation]:
        return [
            SocketObservation(k, s.status, s.since_ms, tuple(s.samples), s.counter - s.counter_at_plug)
            for k, s in self.sockets.items()
        ]


def _first_after(times: list[int], t: int) -> int | None:
    return next((x for x in times if x > t), None)


def run(days: float, warmup_days: float, scale: float, seed: int) -> dict[str, Any]:
    config = ShedConfig.model_validate(
        {
            "shed": "shed-a",
            "posts": [{"id": f"post-{i}", "sockets": 10} for i in (1, 2, 3)],
            "extinguishers": ["ext-1"],
            "sensors": ["env-1"],
        }
    )
    sim = ShedSim(config, start_ms=START_MS, seed=seed, residents=True, resident_scale=scale)
    obs = Observer()
    truth: list[dict[str, Any]] = []
    predictions: list[tuple[int, str, float | None, float | None, str]] = []  # (t, key, to_full_s, to_free_s, method)
    shed_predictions: list[tuple[int, float]] = []
    occupied_predictions: list[tuple[int, float]] = []
    naive_predictions: list[tuple[int, float]] = []
    est_ms: list[float] = []
    end_ms = START_MS + int(days * 86_400_000)
    eval_from = START_MS + int(warmup_days * 86_400_000)
    t = START_MS
    while t < end_ms:
        t += MIN_MS
        sim.advance_to(t)
        out, recs = sim.drain()
        truth += recs
        for o in out:
            if isinstance(o.message, PostTelemetry):
                for r in o.message.sockets:
                    obs.reading(f"{o.message.src}/{r.socket}", o.message.ts, r.state, r.power_w, r.energy_wh)
        if t >= eval_from and (t - START_MS) % EVAL_EVERY_MS == 0:
            t0 = time.perf_counter()
            eta = estimate(obs.observations(), obs.history, t)
            est_ms.append((time.perf_counter() - t0) * 1000)
            predictions += [(t, s.key, s.to_full_s, s.to_free_s, s.method) for s in eta.sockets if s.to_free_s]
            if eta.next_free_s:
                shed_predictions.append((t, eta.next_free_s))
            # The same combination over the occupied sockets only, scored whether or not a socket is free:
            # "when does the next occupied socket free?" (the shed's answer whenever it is full).
            occupied = [o for o in obs.observations() if o.status is not SocketStatus.FREE]
            nxt = estimate(occupied, obs.history, t).next_free_s
            if nxt is not None:
                occupied_predictions.append((t, nxt))
                # Baseline: "the median gap between frees seen so far, from the last free".
                gaps = [b - a for a, b in itertools.pairwise(sorted(obs.unplugs))]
                if gaps:
                    naive_predictions.append((t, max(0.0, (obs.unplugs[-1] + statistics.median(gaps) - t) / 1000)))
    # Ground truth: when each socket's bike was really unplugged, and really full (minute snapshots).
    unplugs: dict[str, list[int]] = {}
    fulls: dict[str, list[int]] = {}
    for rec in truth:
        if rec["record"] == "unplug":
            unplugs.setdefault(f"{rec['device']}/{rec['socket']}", []).append(rec["ts"])
        elif rec["record"] == "sockets":
            for s in rec["sockets"]:
                if s["truth"] == "full":
                    fulls.setdefault(f"{s['device']}/{s['socket']}", []).append(rec["ts"])
    all_unplugs = sorted(ts for v in unplugs.values() for ts in v)
    full_err: dict[str, list[float]] = {"taper": [], "history": []}
    free_err: list[float] = []
    shed_err: list[float] = []
    left_before_full = 0
    for tp, key, to_full, to_free, method in predictions:
        unplug = _first_after(unplugs.get(key, []), tp)
        if unplug is None:
            continue  # still there when the run ended: nothing to score
        if to_free is not None:
            free_err.append(abs(tp + to_free * 1000 - unplug) / MIN_MS)
        if to_full is not None and to_full > 0:
            full = _first_after(fulls.get(key, []), tp)
            if full is None or full > unplug:
                left_before_full += 1  # a short top-up: unplugged while still charging
            else:
                full_err[method].append(abs(tp + to_full * 1000 - full) / MIN_MS)
    occupied_err: list[float] = []
    naive_err: list[float] = []
    scored = ((shed_predictions, shed_err), (occupied_predictions, occupied_err), (naive_predictions, naive_err))
    for preds, errs in scored:
        for tp, next_free in preds:
            first = _first_after(all_unplugs, tp)
            if first is not None:
                errs.append(abs(tp + next_free * 1000 - first) / MIN_MS)

    def stats(name: str, errs: list[float]) -> dict[str, Any]:
        return {
            f"{name}_n": len(errs),
            f"{name}_abs_err_min_p50": round(statistics.median(errs), 1) if errs else None,
            f"{name}_abs_err_min_p90": round(percentile(errs, 90), 1) if errs else None,
        }

    return {
        "bench": "eta",
        "days": days,
        "warmup_days": warmup_days,
        "resident_scale": scale,
        "seed": seed,
        **stats("to_full", full_err["taper"] + full_err["history"]),
        **stats("to_full_taper", full_err["taper"]),
        **stats("to_full_history", full_err["history"]),
        "to_full_left_before_full": left_before_full,
        **stats("socket_to_free", free_err),
        **stats("shed_next_free", shed_err),
        **stats("occupied_next_free", occupied_err),
        **stats("naive_next_free", naive_err),
        "history_charges": len(obs.history.charge_hours),
        "history_dwells": len(obs.history.dwell_s),
        "est_ms_p50": round(statistics.median(est_ms), 2) if est_ms else None,
    }


def main() -> None:
    """Run the benchmark and print its JSON."""
    p = parser(__doc__ or "")
    p.add_argument("--days", type=float, default=4.0)
    p.add_argument("--scale", type=float, default=2.0, help="resident arrival scale (2 = a busy shed)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    days, warmup = (1.5, 0.5) if args.quick else (args.days, 1.0)
    emit(run(days, warmup, args.scale, args.seed))


if __name__ == "__main__":
    main()
