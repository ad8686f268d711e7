"""The leader loop: one thread that, while this process leads, runs the alarm service and the notifier.

It wakes every ``tick_s`` (a setting, 1 s by default) or at once when ingest stored something
(``wake()``), so an alarm from the edge is paged within one pass, and timers need no in-memory state: each
pass recomputes what is due from the store. Any error in a pass is logged and counted, and the next pass
runs again: a bad row never stops alarms for everybody.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cloud.alarms.config import AlarmConfig
from cloud.alarms.leader import Leadership
from cloud.alarms.service import AlarmService
from cloud.notify.worker import Notifier
from cloud.state.store import StateStore
from protocol.clock import Clock

log = logging.getLogger(__name__)


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
    ) -> None:
        self.store = store
        self.clock = clock
        self.tick_s = tick_s
        self.service = AlarmService(store.engine, sqlite=store.is_sqlite, config=config, link_secret=secret)
        self.notifier = notifier or Notifier(store.engine, sqlite=store.is_sqlite, rate_limits=config.rate_limits)
        self.leadership = Leadership(store)
        self.errors = 0
        self._wake = threading.Event()
        self._notify = threading.Event()
        self._timers_due = 0.0  # monotonic time of the next timer pass
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

    def _leads(self) -> bool:
        return self.leadership.try_acquire() and self.leadership.still_held()

    def _alarm_pass(self) -> None:
        if not self._leads():
            return
        # New edge events first, and the notifier told at once: timers (rules, escalation) never delay an alarm.
        self.service.run_events(self.clock.now_ms())
        self._notify.set()
        if time.monotonic() >= self._timers_due:
            self._timers_due = time.monotonic() + self.tick_s
            self.service.run_timers(self.clock.now_ms())
            self._notify.set()

    def _notify_pass(self) -> None:
        if self.leadership.held:
            while self.notifier.run_once(self.clock.now_ms()) and not self._stop.is_set():
                pass

    def _alarm_loop(self) -> None:
        self._loop(self._wake, self._alarm_pass, "alarm")

    def _notify_loop(self) -> None:
        self._loop(self._notify, self._notify_pass, "notifier")

    def _loop(self, wake: threading.Event, one_pass: Callable[[], None], what: str) -> None:
        while not self._stop.is_set():
            wake.wait(self.tick_s)
            wake.clear()
            if self._stop.is_set():
                break
            try:
                one_pass()
            except Exception:
                self.errors += 1
                log.exception("%s pass failed; the next pass retries", what)
