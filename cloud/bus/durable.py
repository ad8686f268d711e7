"""A durable subscriber: every event once and in per-shed order, even across its own downtime.

It listens on the bus and keeps a per-shed cursor in the state store. On start it
catches up from its stored positions; a live event that skips ahead (one it missed)
sends it back to the store for the missing ones. Delivery is at least once across a
crash (the cursor is saved after handling, every ``save_every`` events and on stop),
so handlers are idempotent (e.g. keyed on (shed, position)).
"""

import threading

from cloud.bus.local import Bus, Handler, Subscription
from cloud.core.cursor import Cursor
from cloud.core.events import AnyEvent
from cloud.state.store import StateStore


class DurableSubscriber:
    """Wraps ``handler`` under a stable ``name`` (its cursor's key in the store)."""

    def __init__(self, name: str, handler: Handler, *, store: StateStore, bus: Bus, save_every: int = 100) -> None:
        self.name = name
        self.handler = handler
        self.store = store
        self.bus = bus
        self.save_every = save_every
        self.cursor = Cursor()
        self._unsaved = 0
        self._lock = threading.RLock()
        self._sub: Subscription | None = None

    def start(self) -> int:
        """Subscribe, then catch up from the stored cursor; how many stored events were replayed."""
        with self._lock:
            self.cursor = Cursor(self.store.load_cursor(self.name))
            self._sub = self.bus.subscribe(self._on_event, name=self.name)
            return self.catch_up()

    def catch_up(self) -> int:
        """Handle every stored event past the cursor; how many."""
        with self._lock:
            n = 0
            for shed, after in sorted(self.cursor.behind(self.store.feed_heads()).items()):
                while True:
                    got = self.store.read_feed(shed, after, 1000)
                    for event in got:
                        n += self._deliver(event)
                    if len(got) < 1000:
                        break
                    after = got[-1].position
            self.save()
            return n

    def _deliver(self, event: AnyEvent) -> int:
        if not self.cursor.admit(event):
            return 0
        self.handler(event)
        self._unsaved += 1
        if self._unsaved >= self.save_every:
            self.save()
        return 1

    def _on_event(self, event: AnyEvent) -> None:
        with self._lock:
            if not self._deliver(event) and event.position > self.cursor.positions.get(event.shed, 0):
                self.catch_up()  # we missed some: the store has them (this one included)

    def save(self) -> None:
        """Store the cursor."""
        with self._lock:
            if self._unsaved or self.cursor.positions:
                self.store.save_cursor(self.name, self.cursor.positions)
            self._unsaved = 0

    def stop(self) -> None:
        """Unsubscribe and store the cursor."""
        if self._sub is not None:
            self._sub.unsubscribe()
        self.save()
