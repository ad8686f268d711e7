"""What the cloud learns for the ETA from socket status changes (pure): dwell times, and which charges ended.

Per socket it remembers when the current charge began and when the bike became full (or idle). A
``charging -> full`` (or ``-> plugged``: the charger stopped) change ends a charge: ``observe`` returns it as a
``FinishedCharge`` for the adapter to measure (peak and last power, energy) from the telemetry store. A
``full``/``plugged -> free`` change is a dwell after full, added to the shed's ``EtaHistory`` at once. A bike
taken away while charging teaches nothing about dwell.
"""

from dataclasses import dataclass, field

from cloud.core.eta.history import EtaHistory
from protocol.uplink import SocketStatus

SocketId = tuple[str, str, int]  # (shed, device, socket)


@dataclass(frozen=True, slots=True)
class FinishedCharge:
    """A charge seen from its start to its end (source times, epoch ms)."""

    shed: str
    device: str
    socket: int
    start_ms: int
    end_ms: int


@dataclass
class Learner:
    """Per-shed ETA history and per-socket charge / full start times."""

    history: dict[str, EtaHistory] = field(default_factory=dict)
    charging_since: dict[SocketId, int] = field(default_factory=dict)
    waiting_since: dict[SocketId, int] = field(default_factory=dict)  # full or idle, bike still there

    def observe(
        self, sid: SocketId, status: SocketStatus | None, previous: SocketStatus | None, ts: int
    ) -> FinishedCharge | None:
        """Take one status change (``status`` None: the socket was removed); the charge it ended, if any."""
        finished = None
        if previous is SocketStatus.CHARGING and status in (SocketStatus.FULL, SocketStatus.PLUGGED):
            start = self.charging_since.get(sid)
            if start is not None and ts > start:
                finished = FinishedCharge(sid[0], sid[1], sid[2], start, ts)
        if status in (SocketStatus.FULL, SocketStatus.PLUGGED) and previous is not status:
            self.waiting_since.setdefault(sid, ts)
        if status is SocketStatus.FREE:
            since = self.waiting_since.get(sid)
            if since is not None and previous in (SocketStatus.FULL, SocketStatus.PLUGGED):
                self.history[sid[0]] = self.of(sid[0]).with_dwell((ts - since) / 1000.0)
        if status is SocketStatus.CHARGING:
            if previous is not SocketStatus.CHARGING:
                self.charging_since[sid] = ts
            self.waiting_since.pop(sid, None)
        else:
            self.charging_since.pop(sid, None)
        if status not in (SocketStatus.FULL, SocketStatus.PLUGGED):
            self.waiting_since.pop(sid, None)
        return finished

    def charge_measured(self, shed: str, *, energy_wh: float, peak_w: float, end_w: float) -> None:
        """Add a finished charge's measurements to the shed's history."""
        self.history[shed] = self.of(shed).with_charge(energy_wh=energy_wh, peak_w=peak_w, end_w=end_w)

    def of(self, shed: str) -> EtaHistory:
        """The shed's history (empty: the defaults stand in)."""
        return self.history.get(shed, EtaHistory())
