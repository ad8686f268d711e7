"""The session service's loop: one thread applying edge session events, timers and free-socket notices.

It wakes every ``tick_s`` (CloudSettings ``charging_tick_s``) and at once when a socket of a watched shed frees:
a ``SocketStatusChanged`` to ``free`` on the bus, or a ``SocketStopChanged`` lifting an operator's stop
(``start_socket``) of a socket that is free by then. Every pass recomputes what is due from the store, so a
restart loses nothing; an error is logged and counted and the next pass runs again.
"""

import logging
import threading
from collections.abc import Callable

from cloud.alarms.repo import AlarmRepo
from cloud.bus.local import Bus, Subscription
from cloud.charging.repo import ChargingRepo
from cloud.charging.service import ChargingService
from cloud.core.charging.notices import free_notice_due, free_text
from cloud.core.events import AnyEvent, SocketStatusChanged, SocketStopChanged
from protocol.uplink import SocketStatus

log = logging.getLogger(__name__)


class ChargingRunner:
    """Runs ``service`` in a background thread; ``free_count(shed)`` says how many sockets are free now,
    ``socket_free(shed, device, socket)`` whether that socket is free and not stopped now."""

    def __init__(
        self,
        service: ChargingService,
        *,
        tick_s: float,
        bus: Bus | None,
        free_count: Callable[[str], int],
        socket_free: Callable[[str, str, int], bool] = lambda _shed, _device, _socket: False,
    ) -> None:
        self.service = service
        self.tick_s = tick_s
        self.free_count = free_count
        self.socket_free = socket_free
        self.errors = 0
        self.free_notices = 0
        self._freed: dict[str, int] = {}  # shed -> feed position of its newest free-up
        self._lifted: list[SocketStopChanged] = []  # stops lifted since the last pass: free ones free a socket
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sub: Subscription | None = (
            bus.subscribe(self._on_event, name="charging", kinds=(SocketStatusChanged, SocketStopChanged))
            if bus
            else None
        )

    def _on_event(self, event: AnyEvent) -> None:
        # On the publisher's thread: only note the shed and wake the loop.
        if (
            isinstance(event, SocketStatusChanged)
            and event.status is SocketStatus.FREE
            and event.previous
            not in (
                None,
                SocketStatus.FREE,
            )
        ):
            with self._lock:
                self._freed[event.shed] = max(event.position, self._freed.get(event.shed, 0))
            self._wake.set()
        elif isinstance(event, SocketStopChanged) and not event.stopped:
            # whether the socket is free is asked in the pass, from live state (not on the publisher's thread)
            with self._lock:
                self._lifted.append(event)
            self._wake.set()

    def wake(self, *_: object) -> None:
        """Run a pass now."""
        self._wake.set()

    def start(self) -> None:
        """Start the loop."""
        self._thread = threading.Thread(target=self._loop, name="sw-charging", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop."""
        if self._sub is not None:
            self._sub.unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> None:
        """One pass: edge events, free-socket notices, timers."""
        self.service.apply_edge_events()
        with self._lock:
            freed, self._freed = self._freed, {}
            lifted, self._lifted = self._lifted, []
        for e in lifted:  # a start_socket on a free socket frees it for residents as an unplug would
            if self.socket_free(e.shed, e.device, e.socket):
                freed[e.shed] = max(e.position, freed.get(e.shed, 0))
        for shed, position in sorted(freed.items()):
            self.notify_free(shed, position)
        self.service.tick()

    def notify_free(self, shed: str, position: int) -> int:
        """Queue "a socket is free in shed X" for each watcher not told within the rate limit; how many.

        ``position``: the free-up's place in the shed's feed, the same in every API process that sees it, so the
        outbox (unique per step) keeps one notice per free-up however many processes react to it.
        """
        free = self.free_count(shed)
        if free <= 0:
            return 0
        store = self.service.store
        now = self.service.clock.now_ms()
        policy = self.service.options.reminders
        text = free_text(shed, free)
        queued = 0
        with store.engine.begin() as conn:
            repo = ChargingRepo(conn, sqlite=store.is_sqlite)
            alarms = AlarmRepo(conn, sqlite=store.is_sqlite)
            for user, channel, last in repo.watchers(shed):
                if not channel or not free_notice_due(last, now, policy):
                    continue
                step = f"free-{position}"
                if alarms.enqueue(
                    incident=f"free-{shed}"[:64],
                    step=step,
                    person=user[:64],
                    target=channel,
                    title=text.title,
                    body=text.body,
                    now=now,
                ):
                    queued += 1
                repo.watched(user, shed, now)
        self.free_notices += queued
        return queued

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.tick_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.run_once()
            except Exception:
                self.errors += 1
                log.exception("charging pass failed; the next pass retries")
