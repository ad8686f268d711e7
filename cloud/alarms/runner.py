"""The leader loop: while this process leads, one thread runs the alarm service, another the notifier's passes.

The alarm thread wakes at once when ingest stored an edge alarm (``wake()``) and when the timers fall due
(every ``tick_s``, 1 s by default); timers need no in-memory state: each pass recomputes what is due from the
store. An alarm is never made to wait by the timers: edge events go first, the sends of the alerts they queued
are started from the same thread right after the commit (the notifier's threads do the sending), a timer pass
applies events that arrive between its steps, and it holds back for ``TIMERS_AFTER_EVENTS_S`` after paging.
The notifier thread catches up every tick and whenever a send is recorded (retries, alerts queued by staff).
Any error in a pass is logged and counted, and the next pass, a tick later, runs again: a bad row never stops
alarms for everybody.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cloud.alarms.config import AlarmConfig
from cloud.alarms.heard import HeardBook
from cloud.alarms.leader import Leadership
from cloud.alarms.service import AlarmService
from cloud.core.alarms.rules import RulePolicy
from cloud.notify.worker import Notifier
from cloud.state.store import StateStore
from protocol.clock import Clock

log = logging.getLogger(__name__)
TIMERS_AFTER_EVENTS_S = 0.1  # a timer pass due just after edge events were paged waits this long


def link_secret(configured: str, data_dir: Path) -> bytes:
    """The configured secret, else one made once and kept in ``data_dir/link-secret`` (mode 0600)."""
    if configured:
        return configured.encode()
    path = data_dir / "link-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()


class AlarmRunner:
    """Owns the leader lock, the service and the notifier of one process."""

    def __init__(
        self,
        store: StateStore,
        clock: Clock,
        *,
        config: AlarmConfig,
        secret: bytes,
        tick_s: float = 1.0,
        notifier: Notifier | None = None,
        default_base_url: str = "http://127.0.0.1:8080",
        rules: RulePolicy | None = None,
        heard: HeardBook | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.tick_s = tick_s
        self.service = AlarmService(
            store.engine,
            sqlite=store.is_sqlite,
            config=config,
            link_secret=secret,
            default_base_url=default_base_url,
            rules=rules,
            heard=heard,
        )
        self.notifier = notifier or Notifier(store.engine, sqlite=store.is_sqlite, rate_limits=config.rate_limits)
        self.leadership = Leadership(store)
        self.errors = 0
        self._wake = threading.Event()
        self._notify = threading.Event()
        self.notifier.on_sent = self._notify_soon  # an alert waiting behind one just sent goes next
        self._timers_due = 0.0  # monotonic time of the next timer pass
        self._timers_hold = 0.0  # monotonic time before which it waits for the notifier (see _alarm_pass)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def wake(self, *_: object) -> None:
        """Run a pass now (ingest calls this after each stored batch)."""
        self._wake.set()

    def start(self) -> None:
        """Start the alarm loop and the notifier loop."""
        for name, target in (("alarms", self._alarm_loop), ("notifier", self._notify_loop)):
            thread = threading.Thread(target=target, name=f"sw-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop both loops and give up leadership."""
        self._stop.set()
        self._wake.set()
        self._notify.set()  # else the notifier loop sleeps out its tick before it sees the stop
        for thread in self._threads:
            thread.join(timeout)
        self.notifier.close()
        self.leadership.release()

    @property
    def running(self) -> bool:
        """Both loops run (so leadership has been, or is being, decided)."""
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def _leads(self) -> bool:
        return self.leadership.try_acquire() and self.leadership.still_held()

    def _alarm_pass(self) -> None:
        if not self._leads():
            self._timers_due = time.monotonic() + self.tick_s  # try again in a tick
            return
        # New edge events first, their alerts on their way at once: timers (rules, escalation) never delay an alarm.
        applied = self._run_events()
        now = time.monotonic()
        if now < max(self._timers_due, self._timers_hold):
            return
        if applied and now < self._timers_due + self.tick_s:
            # The notifier is sending what these events queued: the timers wait a moment rather than compete with
            # it for the CPU and the GIL (a storm of events delays them by one tick at most).
            self._timers_hold = now + TIMERS_AFTER_EVENTS_S
            return
        self._timers_due = now + self.tick_s
        self.service.run_timers(self.clock.now_ms(), between=self._events_between)
        self._notify.set()

    def _run_events(self) -> bool:
        applied = self.service.run_events(self.clock.now_ms()) > 0
        if applied:
            self._send_now()
        return applied

    def _send_now(self) -> None:
        # Start the sends of what was just queued from this thread, straight after the commit: the notifier's
        # thread would have to wake first (the outbox stays the record; a pass picks a row only once).
        try:
            self._notify_pass()
        except Exception:
            log.exception("starting the sends after an alarm pass failed; the notifier's loop retries")
            self._notify.set()

    def _events_between(self, now: int) -> int:
        """Between two steps of a timer pass: apply the edge events that woke us meanwhile (then the time now)."""
        if not self._wake.is_set():
            return now
        self._wake.clear()  # before reading: an event stored after this wakes the next pass
        self._run_events()
        return self.clock.now_ms()

    def _notify_soon(self) -> None:
        self._notify.set()

    def _notify_pass(self) -> None:
        if self.leadership.held:
            # Sends run on the notifier's threads: this pass only starts them, so a new alert never waits here.
            while self.notifier.run_once(self.clock.now_ms(), wait=False) and not self._stop.is_set():
                pass

    def _alarm_loop(self) -> None:
        # Wake at the next timer pass, not a tick after the last pass ended: a timer pass then rarely falls due
        # just as an edge event wakes the loop.
        self._loop(
            self._wake, self._alarm_pass, "alarm", lambda: max(self._timers_due, self._timers_hold) - time.monotonic()
        )

    def _notify_loop(self) -> None:
        self._loop(self._notify, self._notify_pass, "notifier", lambda: self.tick_s)

    def _loop(self, wake: threading.Event, one_pass: Callable[[], None], what: str, wait: Callable[[], float]) -> None:
        failed = False
        while not self._stop.is_set():
            # ``wait()`` seconds until the next pass is due, at most a tick; a tick after a failure
            wake.wait(self.tick_s if failed else min(max(wait(), 0.0), self.tick_s))
            wake.clear()
            if self._stop.is_set():
                break
            try:
                one_pass()
                failed = False
            except Exception:
                failed = True
                self.errors += 1
                log.exception("%s pass failed; the next pass retries", what)
