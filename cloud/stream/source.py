"""From the bus (the ingest writer's or feed follower's thread) to the hub on the event loop.

The bus calls ``on_event`` once per event on the publisher's thread; events are collected and handed to
the loop with one ``call_soon_threadsafe`` per burst, where they are translated (reading the live view,
already updated: cloud.bus.publish.Committed updates it before publishing) and published in order.
"""

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from cloud.core.events import AnyEvent
from cloud.stream.frames import Outgoing
from cloud.stream.hub import Hub
from cloud.stream.translate import AvailabilityOf, translate

log = logging.getLogger(__name__)


class BusSource:
    """A bus subscriber feeding ``hub`` on ``loop``."""

    def __init__(
        self,
        hub: Hub,
        loop: asyncio.AbstractEventLoop,
        *,
        community_of: Callable[[str], str],
        availability_of: AvailabilityOf,
    ) -> None:
        self.hub = hub
        self.loop = loop
        self.community_of = community_of
        self.availability_of = availability_of
        self._pending: list[AnyEvent] = []
        self._lock = threading.Lock()
        self.failures = 0

    def on_event(self, event: AnyEvent) -> None:
        """Bus thread: queue the event; wake the loop when this starts a burst."""
        with self._lock:
            self._pending.append(event)
            start = len(self._pending) == 1
        if start:
            # RuntimeError: the loop closed at shutdown, nobody is listening any more.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._flush)

    def estimates_changed(self, sheds: list[str]) -> None:
        """Any thread: the ETA of these sheds moved; send their availability again (it carries the ETA)."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._republish, sheds)

    def _republish(self, sheds: list[str]) -> None:
        out = []
        for shed in sheds:
            counts = self.availability_of(shed)
            if counts is not None:
                out.append(Outgoing("availability", self.community_of(shed), counts))
        self.hub.publish(out)

    def _flush(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        try:
            out = translate(events, community_of=self.community_of, availability_of=self.availability_of)
            self.hub.publish(out)
        except Exception:
            self.failures += 1
            log.exception("stream: %d events could not be published", len(events))
