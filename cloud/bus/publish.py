"""After a commit: update the process's live view, then publish the stored domain events on the bus."""

from collections.abc import Mapping, Sequence
from typing import Protocol

from cloud.bus.local import Bus
from cloud.core.events import AnyEvent
from cloud.core.live import ShedLive


class LiveSink(Protocol):
    """Whatever holds this process's live state (cloud.api.live.LiveView)."""

    def update(self, sheds: Mapping[str, ShedLive]) -> None:
        """Replace the given sheds by their newly decided state."""


class Committed:
    """One place both paths (ingest in this process; the feed follower) hand over what the store decided."""

    def __init__(self, bus: Bus, live: LiveSink | None = None) -> None:
        self.bus = bus
        self.live = live

    def __call__(self, events: Sequence[AnyEvent], sheds: Mapping[str, ShedLive]) -> None:
        """Live view first, so a subscriber reading it sees the state its event describes."""
        if self.live is not None and sheds:
            self.live.update(sheds)
        self.bus.publish(events)
