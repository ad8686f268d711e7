"""Per shed: the stream seqs stored, the gaps, when to ask for them again and when to give them up.

The edge numbers every stream message (telemetry batch, event, command result) with one
contiguous per-shed seq and keeps each row until the cloud says it is stored. This object
follows one shed's stream in the cloud: the seqs stored (``stored_through``: every seq at
or below it is stored; ranges above it), the last seq the edge announced (births and
heartbeats carry it, as Sparkplug's do, so a lost tail shows even when nothing else
flows), and from those the gaps. ``decide`` says when to publish an acknowledgement
(protocol.uplink.StoredAck): when the watermark moved, to ask for a gap once it has been
open ``grace_ms`` (a message may just be in flight), and again every ``resend_every_ms``
while it stays open; a gap still open ``give_up_ms`` after the first request, while the
edge was heard from, is declared lost (the edge no longer holds it) and shown on /healthz.

A seq the cloud already holds is a duplicate; a seq never seen, even far below the
watermark after a tracker restart, is stored as new (the stores' keys decide).

Pure: no I/O; ``now`` is the cloud's clock in epoch ms (only durations between two
``now`` values are used).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from cloud.delivery.ranges import Range, add, count, gaps


@dataclass(frozen=True, slots=True)
class DeliveryTimings:
    """How patient the cloud is with a gap (ms)."""

    grace_ms: int = 2_000
    resend_every_ms: int = 5_000
    give_up_ms: int = 30_000
    ack_every_ms: int = 500  # at most this often per shed for a moving watermark


@dataclass(frozen=True, slots=True)
class Ack:
    """What to publish for one shed."""

    stored_seq: int
    highest_seq: int
    resend: list[Range]
    lost: list[Range]
    newly_lost: list[Range] = field(default_factory=list)  # given up in this decision (to alarm on)
    edge_session: int = 0  # the newest edge session heard of (births, deaths, heartbeats)


@dataclass(slots=True)
class ShedStream:
    """One shed's stream as the cloud has stored it."""

    known: bool = False  # False until a recovered ack or the edge's first birth or heartbeat sets the watermark
    stored_through: int = 0
    above: list[Range] = field(default_factory=list)  # stored seqs above stored_through + 1
    announced: int = 0  # the highest seq the edge said it issued
    gap_since: int | None = None
    asked_ms: int | None = None
    first_asked_ms: int | None = None
    heard_since_ask: bool = False
    lost: list[Range] = field(default_factory=list)
    held: list[Range] = field(default_factory=list)  # every seq this process saw committed (never assumed)
    acked: int = -1  # stored_through last published
    acked_ms: int | None = None
    session: int = 0  # the newest edge session heard of: an edge with a new store numbers its sessions above it
    acked_session: int = -1  # session last published

    def recover(self, stored_seq: int, lost: Iterable[Range] = (), session: int = 0) -> None:
        """Start from an acknowledgement published before (the retained one read back at start)."""
        self.session = max(self.session, session)
        self.acked_session = max(self.acked_session, session)
        if not self.known or stored_seq > self.stored_through:
            self.stored_through = stored_seq
            self.known = True
            self._settle()
        for a, b in lost:
            self.lost = add(self.lost, a, b)
        self.acked = max(self.acked, stored_seq)

    def stored(self, seqs: Iterable[int]) -> None:
        """Seqs now committed to the stores (new or duplicates: both are held)."""
        for seq in sorted(seqs):
            self.held = add(self.held, seq, seq)
            if seq > self.stored_through:
                self.above = add(self.above, seq, seq)
            self.announced = max(self.announced, seq)
        if self.known:
            self._settle()

    def holds(self, seq: int) -> bool:
        """True when ``seq`` was committed (by any kind of stream message) while this process ran."""
        return any(a <= seq <= b for a, b in self.held)

    def announce(self, last_seq: int, oldest_seq: int = 0) -> None:
        """A birth or heartbeat said the edge issued seqs up to ``last_seq`` and holds from ``oldest_seq`` on.

        Without a recovered acknowledgement the watermark starts here: everything below the oldest seq
        the edge holds (or, when it holds none, below the first seq stored, else everything announced)
        is past asking for. Never from a stored seq alone: that could acknowledge rows never stored.
        """
        self.announced = max(self.announced, last_seq)
        self.heard_since_ask = self.asked_ms is not None
        if not self.known:
            if oldest_seq > 0:
                start = oldest_seq - 1
            elif self.above:
                start = min(self.above[0][0] - 1, last_seq)
            else:
                start = last_seq
            self.stored_through = max(self.stored_through, start)
            self.known = True
            self._settle()

    def heard_session(self, session: int) -> None:
        """A birth, death or heartbeat of edge session ``session`` was stored."""
        self.session = max(self.session, session)

    def missing(self) -> list[Range]:
        """Seqs announced (or implied by a later stored seq) but not stored, not yet given up."""
        if not self.known:
            return []
        open_ = gaps(self.above, self.stored_through + 1, self.announced)
        return [r for g in open_ for r in gaps(self.lost, g[0], g[1])]

    def _settle(self) -> None:
        # the watermark climbs over stored seqs and over seqs given up as lost
        moved = True
        while moved:
            moved = False
            for a, b in (*self.above, *self.lost):
                if a <= self.stored_through + 1 <= b:
                    self.stored_through = b
                    moved = True
        self.above = [(a, b) for a, b in self.above if b > self.stored_through]

    def decide(self, now: int, t: DeliveryTimings) -> Ack | None:
        """The acknowledgement to publish now, if any."""
        if not self.known:
            return None
        missing = self.missing()
        if not missing:
            self.gap_since = self.asked_ms = self.first_asked_ms = None
            self.heard_since_ask = False
        elif self.gap_since is None:
            self.gap_since = now
        resend: list[Range] = []
        if missing and self.gap_since is not None and now - self.gap_since >= t.grace_ms:
            if self.first_asked_ms is not None and self.heard_since_ask and now - self.first_asked_ms >= t.give_up_ms:
                for a, b in missing:
                    self.lost = add(self.lost, a, b)
                self._settle()
                self.gap_since = self.asked_ms = self.first_asked_ms = None
                self.heard_since_ask = False
                ack = self._ack(now, [])
                return Ack(ack.stored_seq, ack.highest_seq, [], ack.lost, missing, ack.edge_session)
            if self.asked_ms is None or now - self.asked_ms >= t.resend_every_ms:
                resend = missing[:100]
                self.asked_ms = now
                self.heard_since_ask = False
                if self.first_asked_ms is None:
                    self.first_asked_ms = now
                return self._ack(now, resend)
        if self.session > self.acked_session:
            return self._ack(now, [])  # a new session at once: an edge with a new store may be waiting for it
        if self.stored_through != self.acked and (self.acked_ms is None or now - self.acked_ms >= t.ack_every_ms):
            return self._ack(now, [])
        return None

    def _ack(self, now: int, resend: list[Range]) -> Ack:
        self.acked = self.stored_through
        self.acked_ms = now
        self.acked_session = self.session
        return Ack(
            self.stored_through,
            max(self.announced, self.stored_through),
            resend,
            self.lost[-100:],
            edge_session=self.session,
        )

    def lost_count(self) -> int:
        """Seqs given up as lost."""
        return count(self.lost)
