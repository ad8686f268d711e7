"""An authorised shed's charging session as the edge holds it, its metering step and its stored record.

Pure data and arithmetic: no I/O, no clock. Durations are judged on the edge's monotonic clock (ms);
``elapsed_s`` carries the time already spent across an agent restart (the monotonic clock restarts with
the process), so a limit is never started again. The wall clock plays no part.
"""

from dataclasses import dataclass
from typing import Any

METER_INTERVAL_MS = 60_000  # a session_meter event every 60 s of monotonic time (docs/protocol.md)
# every active session is stored at least this often (one transaction for all): a SIGKILL loses at most this
# much of a session's time; more often would cost an SD card an fsync per reading
CHECKPOINT_MS = 10_000


def counter_step(previous_wh: float | None, counter_wh: float) -> float:
    """Energy (Wh, ≥ 0) metered between two readings of a post's cumulative ``energy_wh`` counter.

    ``previous_wh`` None (no reading yet: the baseline) counts nothing. A counter that went down means the
    post rebooted and its meter restarted at 0: what it reads now was all drawn since, so it counts from the
    new value (never negative, and the energy before the reset was already counted, so never double).
    A negative reading (a broken meter) counts nothing.
    """
    if previous_wh is None or counter_wh < 0:
        return 0.0
    if counter_wh >= previous_wh:
        return counter_wh - previous_wh
    return counter_wh


@dataclass
class ChargeSession:
    """One active session of an authorised shed: its socket, limits, metered energy (Wh) and time.

    ``counter_wh``: the post's counter at the last reading counted (None until the first one).
    ``elapsed_s``: seconds active before ``resumed_ms`` (monotonic ms when counting last resumed).
    ``plugged_seen``: a plug was seen during the session (from then on an empty socket means unplugged).
    """

    session: str
    device: str
    socket: int
    limit_wh: float | None
    limit_s: float | None
    actor: str = ""
    energy_wh: float = 0.0
    counter_wh: float | None = None
    elapsed_s: float = 0.0
    resumed_ms: int = 0
    plugged_seen: bool = False
    next_meter_ms: int = 0

    def duration_s(self, now_ms: int) -> float:
        """Seconds active (monotonic), including the time before an agent restart."""
        return self.elapsed_s + max(0, now_ms - self.resumed_ms) / 1000

    def count(self, counter_wh: float) -> None:
        """Add the energy since the last reading of the post's counter (see :func:`counter_step`)."""
        self.energy_wh += counter_step(self.counter_wh, counter_wh)
        if counter_wh >= 0:
            self.counter_wh = counter_wh

    def record(self, now_ms: int) -> dict[str, Any]:
        """A JSON-safe record for the edge's store (duration frozen at ``now_ms``)."""
        return {
            "session": self.session,
            "device": self.device,
            "socket": self.socket,
            "limit_wh": self.limit_wh,
            "limit_s": self.limit_s,
            "actor": self.actor,
            "energy_wh": self.energy_wh,
            "counter_wh": self.counter_wh,
            "duration_s": self.duration_s(now_ms),
            "plugged_seen": self.plugged_seen,
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any], now_ms: int) -> "ChargeSession":
        """The session a stored record describes, counting again from ``now_ms`` (monotonic).

        Raises KeyError, TypeError or ValueError on a damaged record.
        """
        limit_wh, limit_s, counter = rec.get("limit_wh"), rec.get("limit_s"), rec.get("counter_wh")
        return cls(
            session=str(rec["session"]),
            device=str(rec["device"]),
            socket=int(rec["socket"]),
            limit_wh=None if limit_wh is None else float(limit_wh),
            limit_s=None if limit_s is None else float(limit_s),
            actor=str(rec.get("actor") or ""),
            energy_wh=max(0.0, float(rec.get("energy_wh") or 0.0)),
            counter_wh=None if counter is None else float(counter),
            elapsed_s=max(0.0, float(rec.get("duration_s") or 0.0)),
            resumed_ms=now_ms,
            plugged_seen=bool(rec.get("plugged_seen")),
            next_meter_ms=now_ms + METER_INTERVAL_MS,
        )
