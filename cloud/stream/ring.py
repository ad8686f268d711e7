"""The bounded memory of recent events that a reconnecting client resumes from (pure).

Ids within one process are consecutive (1, 2, 3, ...), so the events after ``n`` are a slice found by
arithmetic. A client whose last id is older than the oldest event held, from another epoch, or ahead of
the newest, cannot be resumed without loss: ``after`` answers None and the client gets a ``reset``.
"""

from collections import deque
from itertools import islice

from cloud.stream.frames import StreamEvent


class Ring:
    """The newest ``capacity`` events, oldest first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("the ring holds at least one event")
        self.capacity = capacity
        self._events: deque[StreamEvent] = deque(maxlen=capacity)
        self.head = 0  # n of the newest event appended (0: none yet)

    def append(self, event: StreamEvent) -> None:
        """Add the next event; its n must follow the head."""
        if event.n != self.head + 1:
            raise ValueError(f"event {event.n} does not follow {self.head}")
        self._events.append(event)
        self.head = event.n

    def after(self, n: int) -> list[StreamEvent] | None:
        """Every event held after ``n`` (empty when ``n`` is the head); None when some are no longer held or
        ``n`` is ahead of the head."""
        if n > self.head or n < 0:
            return None
        oldest = self._events[0].n if self._events else self.head + 1
        if n < oldest - 1:
            return None
        return list(islice(self._events, n - oldest + 1, None))
