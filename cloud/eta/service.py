"""Keeps an estimate of when each full shed's next socket frees (cloud.core.eta), off the request path.

The bus tells it every socket status change (cloud.core.eta.learn turns them into the shed's history); a
thread wakes every ``refresh_s`` (and at once when a shed fills up), measures the charges that ended from the
telemetry store, and re-estimates every shed that has no free socket: each charging socket's power samples
since its charge began and the energy so far (telemetry store), each waiting socket's time since it became
full. Requests only read ``current()``: a dict swapped whole, never a query.

Times come from the process clock (simulated in demos), the time base of the telemetry too.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from cloud.core.eta.estimate import SocketObservation, estimate
from cloud.core.eta.learn import FinishedCharge, Learner
from cloud.core.events import AnyEvent, SocketRemoved, SocketStatusChanged, SocketStopChanged
from cloud.core.live import ShedLive
from cloud.history import downsample
from cloud.telemetry.base import Resolution, SeriesKey, TelemetryStore
from protocol.uplink import SocketStatus

log = logging.getLogger(__name__)
MAX_SAMPLES = 240  # power samples per charging socket given to the fit (the curve is smooth)
RAW_UP_TO_MS = 3 * 3_600_000  # longer charges are read from minute rollups
FULL_W = 30.0  # a socket drawing less has finished (DOMAIN's "full" point)
MIN_GAP_S = 1.0  # between two refreshes, however often plugs wake it: bounds the cost in a busy district


@dataclass(frozen=True, slots=True)
class ShedEstimate:
    """``next_free_s`` seconds after ``at_ms`` (process clock, epoch ms); None: no socket can free."""

    next_free_s: float | None
    at_ms: int


class EtaService:
    """Background estimates for full sheds; ``on_event`` is a bus handler."""

    def __init__(
        self,
        sheds: Callable[[], dict[str, ShedLive]],
        telemetry: TelemetryStore,
        now_ms: Callable[[], int],
        *,
        refresh_s: float = 30.0,
        on_change: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.sheds = sheds  # copies of every shed's live state (cloud.api.live.LiveView.snapshot)
        self.telemetry = telemetry
        self.now_ms = now_ms
        self.refresh_s = refresh_s
        self.on_change = on_change  # called (on this service's thread) with the sheds whose estimate changed
        self.learner = Learner()
        self.errors = 0
        self.runs = 0
        self._estimates: dict[str, ShedEstimate] = {}
        self._finished: list[FinishedCharge] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.version = 0  # bumped whenever the estimates change

    def current(self) -> dict[str, ShedEstimate]:
        """The latest estimate per full shed (read-only)."""
        return self._estimates

    def on_event(self, event: AnyEvent) -> None:
        """Bus thread: learn from a status change; wake the thread when a socket was taken, first heard of or
        stopped by an operator (the shed may have just filled up)."""
        if isinstance(event, SocketStopChanged):
            if event.stopped:
                self._wake.set()
            return
        if not isinstance(event, SocketStatusChanged | SocketRemoved):
            return
        status = event.status if isinstance(event, SocketStatusChanged) else None
        with self._lock:
            done = self.learner.observe((event.shed, event.device, event.socket), status, event.previous, event.ts)
            if done is not None:
                self._finished.append(done)
        if event.previous is SocketStatus.FREE or event.previous is None:  # taken, or first heard of (a birth)
            self._wake.set()

    def start(self) -> None:
        """Start the thread."""
        self._thread = threading.Thread(target=self._run, name="sw-eta", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:
                self.errors += 1
                log.exception("eta: refresh failed; keeping the last estimates")
            if self._stop.wait(MIN_GAP_S):
                break
            self._wake.wait(max(0.0, self.refresh_s - MIN_GAP_S))
            self._wake.clear()

    def refresh(self) -> None:
        """Measure finished charges, then re-estimate every shed with no free socket."""
        with self._lock:
            finished, self._finished = self._finished, []
        for charge in finished:
            self._measure(charge)
        now = self.now_ms()
        out: dict[str, ShedEstimate] = {}
        for shed, live in self.sheds().items():
            if not live.sockets or any(s.status is SocketStatus.FREE and not s.stop for s in live.sockets.values()):
                continue  # a free socket: the answer is 0, given at request time
            observations = [
                self._observe(shed, device, socket, s.status, s.ts, now)
                if s.stop is None
                else SocketObservation(f"{device}/{socket}", s.status, s.ts, stopped=True)
                for (device, socket), s in sorted(live.sockets.items())
            ]
            with self._lock:
                history = self.learner.of(shed)
            out[shed] = ShedEstimate(estimate(observations, history, now).next_free_s, now)
        if out != self._estimates:
            before, self._estimates = self._estimates, out
            self.version += 1
            changed = sorted(s for s in out.keys() | before.keys() if out.get(s) != before.get(s))
            if self.on_change is not None:
                self.on_change(changed)
        self.runs += 1

    def _series(self, shed: str, device: str, socket: int, field: str, start: int, end: int) -> list[tuple[int, float]]:
        res = Resolution.RAW if end - start <= RAW_UP_TO_MS else Resolution.MINUTE
        samples = self.telemetry.query(SeriesKey(shed, device, field, socket), start, end, res)
        return [(s.ts, s.mean) for s in downsample(samples, start, end, MAX_SAMPLES)]

    def _observe(
        self, shed: str, device: str, socket: int, status: SocketStatus, since: int, now: int
    ) -> SocketObservation:
        key = f"{device}/{socket}"
        if status is not SocketStatus.CHARGING:
            return SocketObservation(key, status, since)
        with self._lock:
            start = self.learner.charging_since.get((shed, device, socket), since)
        power = self._series(shed, device, socket, "power_w", start, now + 1)
        energy = self._series(shed, device, socket, "energy_wh", start, now + 1)
        so_far = max(0.0, energy[-1][1] - energy[0][1]) if len(energy) >= 2 else 0.0
        return SocketObservation(key, status, start, tuple(power), so_far)

    def _measure(self, charge: FinishedCharge) -> None:
        power = self._series(charge.shed, charge.device, charge.socket, "power_w", charge.start_ms, charge.end_ms + 1)
        energy = self._series(
            charge.shed, charge.device, charge.socket, "energy_wh", charge.start_ms, charge.end_ms + 1
        )
        charging = [p for _, p in power if p >= FULL_W]
        if not charging or len(energy) < 2:
            return  # no telemetry for it (e.g. the edge was offline): nothing to learn
        with self._lock:
            self.learner.charge_measured(
                charge.shed, energy_wh=energy[-1][1] - energy[0][1], peak_w=max(charging), end_w=charging[-1]
            )
