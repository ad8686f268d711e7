"""Live state of every shed, edge and socket, and the rules that change it (pure: no I/O, no clock).

Shared subscriptions deal one shed's messages round-robin over workers, so events
arrive out of order. Two rules make the result equal to applying them in seq order:
a socket keeps the seq of the status it shows and ignores anything older, and a
birth's snapshot reflects every event up to the birth's seq, so events at or below
the shed's latest birth seq are already counted and are ignored.

An operator's stop (``stop_socket``: the edge holds the socket off until ``start_socket``) follows the same
rules with a seq of its own, since the stop and the status are told by different messages: the edge's
interlock events ``operator_stop`` / ``operator_start`` and the birth's snapshot (``stopped``), which the
edge sends on every connection and whose word is final (it keeps a stop across a reconnect and across a
restart of the agent). Nothing else lifts a stop at the edge: a reset, a session or an unplug do not.

Whether the edge is online follows Sparkplug's bdSeq idea: every connection has a
session number; a birth or heartbeat of session s and a death (will) of session s
are compared by session, never by arrival order, so a late will of an older session
never marks a newer connection offline, and a late heartbeat of a dead session never
revives it.

Every ``apply_*`` returns the domain events it caused (empty when nothing changed), so
the live state and the events on the bus are decided once, here.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from cloud.core.events import (
    AnyEvent,
    EdgeOffline,
    EdgeOnline,
    SocketRemoved,
    SocketStatusChanged,
    SocketStopChanged,
)
from protocol.uplink import SocketSnapshot, SocketStatus

SocketKey = tuple[str, int]  # (device, socket)


@dataclass(frozen=True, slots=True)
class SocketStop:
    """An operator's stop holding a socket off: who (None when only a birth said so) and when (edge ms)."""

    actor: str | None
    ts: int


@dataclass(frozen=True, slots=True)
class SocketLive:
    """What one socket is doing now, and the seq and source time (ms) that said so.

    ``stop``: an operator's stop, or None; ``stop_seq``: the seq of the stop, start or birth that decided it.
    ``seq`` -1: no status heard yet (a stop arrived before the socket's first status; ``status`` is a filler).
    """

    status: SocketStatus
    seq: int
    ts: int
    stop: SocketStop | None = None
    stop_seq: int = -1


@dataclass(slots=True)
class ShedLive:
    """One shed's edge and sockets as last decided.

    ``session``: newest connection heard of; ``dead_session``: newest connection whose death was heard;
    the edge is online while ``session > dead_session``. Times are epoch ms (``last_seen_ms``: cloud arrival
    of the last heartbeat).
    """

    shed: str
    birth_seq: int = -1
    session: int = 0
    dead_session: int = -1
    updated_ts: int = 0
    last_seen_ms: int = 0
    outbox_depth: int = 0
    config_version: int = 0
    sockets: dict[SocketKey, SocketLive] = field(default_factory=dict)

    @property
    def online(self) -> bool:
        """True while the newest session has not died."""
        return self.session > self.dead_session

    def copy(self) -> "ShedLive":
        """An independent copy (socket entries are frozen, so a shallow dict copy suffices)."""
        return replace(self, sockets=dict(self.sockets))


@dataclass(frozen=True, slots=True)
class Availability:
    """Socket counts of one shed, as GET /api/v1/availability shows them."""

    shed: str
    community: str
    free: int
    charging: int
    plugged: int
    full: int
    faulted: int
    stopped: int  # stopped by an operator, whatever the status: never counted under the other five
    total: int
    updated_ts: int
    edge_online: bool  # False after the edge's death: the counts are as it last reported them


class LiveState:
    """Every shed's live state; ``apply_*`` return the domain events they caused."""

    def __init__(self, sheds: dict[str, ShedLive] | None = None) -> None:
        self.sheds: dict[str, ShedLive] = sheds if sheds is not None else {}

    def _shed(self, shed: str) -> ShedLive:
        live = self.sheds.get(shed)
        if live is None:
            live = self.sheds[shed] = ShedLive(shed)
        return live

    def apply_status(
        self, shed: str, device: str, socket: int, status: SocketStatus, *, seq: int, ts: int, received_at: int = 0
    ) -> list[AnyEvent]:
        """Apply one socket status report unless something newer is already known."""
        live = self._shed(shed)
        if seq <= live.birth_seq:
            return []
        current = live.sockets.get((device, socket))
        if current is not None and current.seq >= seq:
            return []
        live.sockets[(device, socket)] = (
            replace(current, status=status, seq=seq, ts=ts) if current else SocketLive(status, seq, ts)
        )
        live.updated_ts = max(live.updated_ts, ts)
        return _changes(
            shed, {(device, socket): current} if current else {}, {(device, socket): status}, seq, ts, received_at
        )

    def apply_stop(
        self,
        shed: str,
        device: str,
        socket: int,
        stopped: bool,
        *,
        actor: str | None,
        seq: int,
        ts: int,
        received_at: int = 0,
    ) -> list[AnyEvent]:
        """Apply an operator's stop (``stopped``) or start of one socket unless something newer decided it."""
        live = self._shed(shed)
        if seq <= live.birth_seq:
            return []
        key = (device, socket)
        current = live.sockets.get(key)
        if current is not None and current.stop_seq >= seq:
            return []
        base = current or SocketLive(SocketStatus.FREE, -1, 0)  # status unknown until it is heard
        after = replace(base, stop=SocketStop(actor, ts) if stopped else None, stop_seq=seq)
        live.sockets[key] = after
        return _stop_changes(shed, {key: current} if current else {}, {key: after}, seq, ts, received_at)

    def apply_birth(
        self,
        shed: str,
        snapshot: list[SocketSnapshot],
        *,
        seq: int,
        ts: int,
        session: int = 0,
        config_version: int = 0,
        received_at: int = 0,
    ) -> list[AnyEvent]:
        """Replace the shed's sockets by a birth's snapshot, keeping anything newer than the birth."""
        live = self._shed(shed)
        out: list[AnyEvent] = []
        was_online = live.online
        if session >= live.session:
            live.session = session
            live.config_version = config_version
        if live.online and not was_online:
            out.append(
                EdgeOnline(
                    shed=shed, seq=seq, ts=ts, received_at=received_at, session=session, config_version=config_version
                )
            )
        if seq < live.birth_seq:
            return out
        live.birth_seq = seq
        before = live.sockets
        kept = {key: s for key, s in before.items() if s.seq > seq or s.stop_seq > seq}
        for snap in snapshot:
            key = (snap.device, snap.socket)
            kept[key] = _from_birth(before.get(key), snap, seq, ts)
        live.sockets = kept
        live.updated_ts = max(live.updated_ts, ts)
        out += _changes(shed, before, {k: s.status for k, s in kept.items() if s.seq >= 0}, seq, ts, received_at)
        # a socket known only by a stop that the birth does not list: the stop is lifted, no status to remove
        fillers = {k: replace(s, stop=None) for k, s in before.items() if k not in kept and s.seq < 0}
        out += _stop_changes(shed, before, kept | fillers, seq, ts, received_at)
        for key in sorted(set(before) - set(kept) - set(fillers)):
            out.append(SocketRemoved(**_at(shed, key, seq, ts, received_at), previous=before[key].status))
        return out

    def apply_death(
        self, shed: str, *, ts: int, session: int = 0, seq: int = 0, received_at: int = 0
    ) -> list[AnyEvent]:
        """Mark the edge of ``session`` dead (sockets keep their last status); a newer session stays online."""
        live = self._shed(shed)
        was_online = live.online
        live.dead_session = max(live.dead_session, session)
        live.session = max(live.session, session)
        live.updated_ts = max(live.updated_ts, ts)
        if was_online and not live.online:
            return [EdgeOffline(shed=shed, seq=seq, ts=ts, received_at=received_at, session=session)]
        return []

    def apply_heartbeat(
        self, shed: str, *, session: int, outbox_depth: int, seq: int, ts: int, received_at: int
    ) -> list[AnyEvent]:
        """Record a sign of life; it revives the edge only for a session newer than the last death."""
        live = self._shed(shed)
        was_online = live.online
        if session >= live.session:
            live.session = session
            live.last_seen_ms = max(live.last_seen_ms, received_at)
            live.outbox_depth = outbox_depth
        if live.online and not was_online:
            return [
                EdgeOnline(
                    shed=shed,
                    seq=seq,
                    ts=ts,
                    received_at=received_at,
                    session=session,
                    config_version=live.config_version,
                )
            ]
        return []

    def availability(self, communities: dict[str, str]) -> list[Availability]:
        """Counts per shed, sorted by shed id."""
        return [shed_availability(self.sheds[s], communities.get(s, "")) for s in sorted(self.sheds)]


def _from_birth(old: SocketLive | None, snap: SocketSnapshot, seq: int, ts: int) -> SocketLive:
    """A socket after a birth at ``seq``: the snapshot's word, except what a newer event told.

    A stop the cloud already knew keeps its actor and time when the birth still shows it.
    """
    if old is None:
        return SocketLive(snap.status, seq, ts, SocketStop(None, ts) if snap.stopped else None, seq)
    if old.seq <= seq:
        old = replace(old, status=snap.status, seq=seq, ts=ts)
    if old.stop_seq <= seq:
        stop = (old.stop or SocketStop(None, ts)) if snap.stopped else None
        old = replace(old, stop=stop, stop_seq=seq)
    return old


def _changes(
    shed: str, before: dict[SocketKey, SocketLive], now: dict[SocketKey, SocketStatus], seq: int, ts: int, rx: int
) -> list[AnyEvent]:
    """A SocketStatusChanged for every socket whose status differs from before (or is new), by key."""
    out: list[AnyEvent] = []
    for key in sorted(now):
        old = before.get(key)
        if old is not None and old.seq < 0:
            old = None  # only a stop was known: this is the socket's first status
        if old is None or old.status is not now[key]:
            prev = old.status if old is not None else None
            at = _at(shed, key, seq, ts, rx)
            out.append(SocketStatusChanged(**at, status=now[key], previous=prev))
    return out


def _at(shed: str, key: SocketKey, seq: int, ts: int, rx: int) -> dict[str, Any]:
    """The fields every socket event of one decision shares."""
    return {"shed": shed, "seq": seq, "ts": ts, "received_at": rx, "device": key[0], "socket": key[1]}


def _stop_changes(
    shed: str, before: dict[SocketKey, SocketLive], now: dict[SocketKey, SocketLive], seq: int, ts: int, rx: int
) -> list[AnyEvent]:
    """A SocketStopChanged for every socket whose stop differs from before (a new socket: only when stopped)."""
    out: list[AnyEvent] = []
    for key in sorted(now):
        old = before.get(key)
        stop = now[key].stop
        if (old.stop if old is not None else None) != stop:
            at = _at(shed, key, seq, ts, rx)
            if stop is None:
                out.append(SocketStopChanged(**at, stopped=False))
            else:
                out.append(SocketStopChanged(**at, stopped=True, actor=stop.actor, stopped_ts=stop.ts))
    return out


def shed_availability(live: ShedLive, community: str) -> Availability:
    """One shed's socket counts: a stopped socket under ``stopped`` alone, so it is never counted free."""
    counts = dict.fromkeys(SocketStatus, 0)
    stopped = 0
    for s in live.sockets.values():
        if s.stop is not None:
            stopped += 1
        else:
            counts[s.status] += 1
    return Availability(
        shed=live.shed,
        community=community,
        free=counts[SocketStatus.FREE],
        charging=counts[SocketStatus.CHARGING],
        plugged=counts[SocketStatus.PLUGGED],
        full=counts[SocketStatus.FULL],
        faulted=counts[SocketStatus.FAULTED],
        stopped=stopped,
        total=len(live.sockets),
        updated_ts=live.updated_ts,
        edge_online=live.online,
    )
