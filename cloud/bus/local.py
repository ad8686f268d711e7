"""The in-process bus: publish a committed batch's domain events, subscribers called in order.

Publishing is synchronous on the publisher's thread (the ingest writer, or the feed
follower when ingest runs elsewhere), so one publisher's events reach every subscriber
in the order given, which is per-shed feed order. A subscriber must be quick; one that
does I/O hands events to its own queue or thread (an asyncio subscriber uses
``loop.call_soon_threadsafe``). A failing subscriber is logged and counted, never stops
the others or the publisher: the store already holds the events.
"""

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence

from cloud.core.events import AnyEvent, DomainEvent

log = logging.getLogger(__name__)

Handler = Callable[[AnyEvent], None]


class Subscription:
    """A handle to stop receiving events (zigbee2mqtt's extensions unsubscribe on stop, so do we)."""

    def __init__(self, bus: "Bus", name: str, handler: Handler, kinds: tuple[type[DomainEvent], ...]) -> None:
        self.bus = bus
        self.name = name
        self.handler = handler
        self.kinds = kinds
        self.active = True

    def unsubscribe(self) -> None:
        """Stop delivery to this handler (idempotent)."""
        self.bus._remove(self)


class Bus:
    """Typed domain events to subscribers; ``failures`` counts handler errors per subscriber name."""

    def __init__(self) -> None:
        self._subs: tuple[Subscription, ...] = ()
        self._lock = (
            threading.RLock()
        )  # re-entrant: a handler may unsubscribe; serialises publishers: one delivery order for every subscriber
        self.failures: Counter[str] = Counter()
        self.published = 0

    def subscribe(self, handler: Handler, *, name: str = "", kinds: tuple[type[DomainEvent], ...] = ()) -> Subscription:
        """Call ``handler(event)`` for every event published from now on (only ``kinds`` when given)."""
        sub = Subscription(self, name or getattr(handler, "__qualname__", "subscriber"), handler, kinds)
        with self._lock:
            self._subs = (*self._subs, sub)
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            sub.active = False  # also stops the rest of a delivery in progress
            self._subs = tuple(s for s in self._subs if s is not sub)

    def publish(self, events: Sequence[AnyEvent]) -> None:
        """Deliver ``events`` in order to every subscriber; never raises because of a subscriber."""
        if not events:
            return
        with self._lock:
            subs = self._subs
            self.published += len(events)
            for event in events:
                for sub in subs:
                    if not sub.active or (sub.kinds and not isinstance(event, sub.kinds)):
                        continue
                    try:
                        sub.handler(event)
                    except Exception:
                        self.failures[sub.name] += 1
                        log.exception("bus: subscriber %s failed on %s", sub.name, type(event).__name__)
