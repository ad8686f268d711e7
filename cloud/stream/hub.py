"""The fan-out: one producer, a bounded queue per client, slow clients dropped (asyncio, loop thread only).

Each event is encoded once (cloud.stream.frames) and offered to every connected client whose scope allows
it: ``put_nowait`` on the client's queue, nothing that can block. A client whose queue is full (it reads
slower than events come, or its TCP window is shut) is dropped: its stream ends, ``dropped_slow`` counts it,
and everyone else goes on. Its browser reconnects with ``Last-Event-ID`` and resumes from the ring if the
events it missed are still held there, else it gets a ``reset``.
"""

import asyncio
import time
from collections.abc import Sequence

from cloud.core.access.roles import Principal
from cloud.stream.frames import Outgoing, StreamEvent, encode, event_id, frame, parse_event_id
from cloud.stream.ring import Ring
from cloud.stream.scope import Scope
from cloud.stream.standing import END_REASONS, Ended, EndReason

RING_SIZE = 10_000
QUEUE_SIZE = 1_000


# What a client's queue holds: an event, a ping (the server time, epoch ms), None: dropped, end the stream, or
# Ended: its credential no longer holds, send the final ``auth`` event and end the stream.
Item = StreamEvent | int | Ended | None


class Client:
    """One connected caller: its scope, its queue and the n of its last event."""

    def __init__(self, principal: Principal | None, queue_size: int, last_n: int) -> None:
        self.scope = Scope(principal)
        self.queue: asyncio.Queue[Item] = asyncio.Queue(queue_size)
        self.last_n = last_n  # n of the last event this client was sent (its resume point)
        self.dropped = False


class Hub:
    """The process's stream: the ring, the clients and their counters."""

    def __init__(self, *, epoch: int | None = None, ring_size: int = RING_SIZE, queue_size: int = QUEUE_SIZE) -> None:
        self.epoch = epoch if epoch is not None else time.time_ns() // 1_000_000
        self.ring = Ring(ring_size)
        self.queue_size = queue_size
        self.clients: set[Client] = set()
        self.published = 0  # events put in the stream
        self.connected_total = 0
        self.dropped_slow = 0  # clients dropped because their queue was full
        self.resets = 0  # reconnects that could not resume (told to reload)
        self.ended: dict[EndReason, int] = dict.fromkeys(END_REASONS, 0)  # streams ended for their credential

    def publish(self, items: Sequence[Outgoing]) -> None:
        """Number, encode and fan out ``items`` (loop thread)."""
        for out in items:
            event = encode(self.epoch, self.ring.head + 1, out)
            self.ring.append(event)
            self.published += 1
            for client in tuple(self.clients):
                if client.scope.allows(event):
                    try:
                        client.queue.put_nowait(event)
                    except asyncio.QueueFull:
                        self._drop(client)

    def ping_all(self, now_ms: int) -> None:
        """Queue a ping for every client (one timer for all of them, not one per client)."""
        for client in tuple(self.clients):
            try:
                client.queue.put_nowait(now_ms)
            except asyncio.QueueFull:
                self._drop(client)

    def _drop(self, client: Client) -> None:
        self.clients.discard(client)
        self.dropped_slow += 1
        client.dropped = True
        while not client.queue.empty():  # make room for the end-of-stream mark
            client.queue.get_nowait()
        client.queue.put_nowait(None)

    def end(self, client: Client, reason: EndReason) -> None:
        """End ``client``'s stream because its credential no longer holds (idempotent: a client already gone or
        dropped is left alone). Events still queued are not sent: a reconnect resumes them from the ring."""
        if client not in self.clients:
            return
        self.clients.discard(client)
        self.ended[reason] += 1
        while not client.queue.empty():
            client.queue.get_nowait()
        client.queue.put_nowait(Ended(reason))

    def connect(self, principal: Principal | None, last_event_id: str | None) -> tuple[Client, list[bytes]]:
        """Register a client; the frames it gets first: what it missed since ``last_event_id`` (its scope
        applied), or one ``reset`` frame when that cannot be resumed. Atomic on the loop thread: nothing
        published in between is lost or sent twice."""
        client = Client(principal, self.queue_size, self.ring.head)
        first: list[bytes] = []
        if last_event_id is not None:
            parsed = parse_event_id(last_event_id)
            missed = self.ring.after(parsed[1]) if parsed is not None and parsed[0] == self.epoch else None
            if missed is None:
                self.resets += 1
                # Another process's id, or one ahead of anything sent: never this stream's, so not "no longer held".
                unknown = parsed is None or parsed[0] != self.epoch or parsed[1] > self.ring.head
                reason = "unknown id" if unknown else "no longer held"
                data = {"reason": reason, "last_event_id": last_event_id[:40]}
                first.append(frame("reset", event_id(self.epoch, self.ring.head), data))
            else:
                first += [e.frame for e in missed if client.scope.allows(e)]
        self.clients.add(client)
        self.connected_total += 1
        return client, first

    def disconnect(self, client: Client) -> None:
        """The client went away (idempotent)."""
        self.clients.discard(client)

    def ping(self, client: Client, now_ms: int) -> bytes:
        """A ``ping`` frame: id = the client's resume point, data = server time (epoch ms)."""
        return frame("ping", event_id(self.epoch, client.last_n), str(now_ms).encode())
