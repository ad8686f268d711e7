"""Live state of every socket, applied in per-shed sequence order (pure: no I/O, no clock).

Shared subscriptions deal one shed's messages round-robin over workers, so events
arrive out of order. Two rules make the result equal to applying them in seq order:
a socket keeps the seq of the status it shows and ignores anything older, and a
birth's snapshot reflects every event up to the birth's seq, so events at or below
the shed's latest birth seq are already counted and are ignored.
"""

from dataclasses import dataclass, field

from protocol.uplink import SocketSnapshot, SocketStatus

SocketKey = tuple[str, int]  # (device, socket)


@dataclass(slots=True)
class SocketLive:
    """What one socket is doing now, and the seq that said so."""

    status: SocketStatus
    seq: int
    ts: int


@dataclass(slots=True)
class ShedLive:
    """One shed's sockets and when the edge last said something about them."""

    shed: str
    birth_seq: int = -1
    session: int = 0
    updated_ts: int = 0
    online: bool = True
    sockets: dict[SocketKey, SocketLive] = field(default_factory=dict)


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
    total: int
    updated_ts: int
    edge_online: bool  # False after the edge's death: the counts are as it last reported them


class LiveState:
    """Every shed's live socket state; methods return True when they changed something."""

    def __init__(self) -> None:
        self.sheds: dict[str, ShedLive] = {}

    def _shed(self, shed: str) -> ShedLive:
        live = self.sheds.get(shed)
        if live is None:
            live = self.sheds[shed] = ShedLive(shed)
        return live

    def apply_status(self, shed: str, device: str, socket: int, status: SocketStatus, *, seq: int, ts: int) -> bool:
        """Apply one SocketStatusChanged unless something newer is already known."""
        live = self._shed(shed)
        if seq <= live.birth_seq:
            return False
        current = live.sockets.get((device, socket))
        if current is not None and current.seq >= seq:
            return False
        live.sockets[(device, socket)] = SocketLive(status, seq, ts)
        live.updated_ts = max(live.updated_ts, ts)
        return True

    def apply_birth(self, shed: str, snapshot: list[SocketSnapshot], *, seq: int, ts: int, session: int = 0) -> bool:
        """Replace the shed's sockets by a birth's snapshot, keeping anything newer than the birth."""
        live = self._shed(shed)
        if session >= live.session:
            live.session = session
            live.online = True
        if seq < live.birth_seq:
            return False
        live.birth_seq = seq
        kept = {key: s for key, s in live.sockets.items() if s.seq > seq}
        for snap in snapshot:
            key = (snap.device, snap.socket)
            if key not in kept:
                kept[key] = SocketLive(snap.status, seq, ts)
        live.sockets = kept
        live.updated_ts = max(live.updated_ts, ts)
        return True

    def restore(
        self,
        shed: str,
        *,
        birth_seq: int,
        session: int = 0,
        updated_ts: int,
        online: bool,
        sockets: list[tuple[str, int, SocketStatus, int, int]],
    ) -> None:
        """Set a shed exactly as stored: (device, socket, status, seq, ts) per socket."""
        self.sheds[shed] = ShedLive(
            shed,
            birth_seq=birth_seq,
            session=session,
            updated_ts=updated_ts,
            online=online,
            sockets={(d, n): SocketLive(st, seq, ts) for d, n, st, seq, ts in sockets},
        )

    def apply_death(self, shed: str, *, ts: int, session: int = 0) -> None:
        """Mark the shed's edge offline (its sockets keep their last known status), unless a newer session lives."""
        live = self._shed(shed)
        if session < live.session:
            return  # the will of an older connection, delivered late
        live.online = False
        live.updated_ts = max(live.updated_ts, ts)

    def availability(self, communities: dict[str, str]) -> list[Availability]:
        """Counts per shed, sorted by shed id."""
        out = []
        for shed in sorted(self.sheds):
            live = self.sheds[shed]
            counts = dict.fromkeys(SocketStatus, 0)
            for s in live.sockets.values():
                counts[s.status] += 1
            out.append(
                Availability(
                    shed=shed,
                    community=communities.get(shed, ""),
                    free=counts[SocketStatus.FREE],
                    charging=counts[SocketStatus.CHARGING],
                    plugged=counts[SocketStatus.PLUGGED],
                    full=counts[SocketStatus.FULL],
                    faulted=counts[SocketStatus.FAULTED],
                    total=len(live.sockets),
                    updated_ts=live.updated_ts,
                    edge_online=live.online,
                )
            )
        return out
