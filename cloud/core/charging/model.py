"""What a charging session is, as data: its socket, limit, status, metered energy and running cost.

A session is a frozen value; every change makes a new one (``cloud.core.charging.machine.decide``).
``to_dict``/``from_dict`` give a JSON-safe form, so a session survives a restart of whatever holds it
and continues exactly where it was.
"""

import math
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Self

from cloud.core.tariff.model import Period


class ShedMode(StrEnum):
    """How a shed lets residents charge."""

    OPEN = "open"  # plug and charge: the post energises on plug-in (no session, no bill)
    AUTHORISED = "authorised"  # energised only for a session started by QR code id


class SessionStatus(StrEnum):
    """The session's life: requested (waiting for the edge) -> active (energised) -> ended."""

    REQUESTED = "requested"
    ACTIVE = "active"
    ENDED = "ended"


class EndReason(StrEnum):
    """Why a session ended (OCPP 2.0.1 ``ReasonEnum`` in spirit: EVDisconnected, Local/Remote stop, ...)."""

    FULL = "full"  # the edge saw the battery full
    UNPLUGGED = "unplugged"  # the bike was taken away
    RESIDENT_STOP = "resident_stop"  # the resident stopped it
    STAFF_STOP = "staff_stop"  # staff stopped it (remote command)
    TIME_LIMIT = "time_limit"
    ENERGY_LIMIT = "energy_limit"
    FAULT = "fault"  # a trip, a post fault or the post going offline
    REFUSED = "refused"  # the edge refused to energise
    NOT_CONFIRMED = "not_confirmed"  # the edge did not confirm in time: cut, in case it energised late


@dataclass(frozen=True, slots=True)
class Limit:
    """When the edge must end the session: after ``max_s`` seconds energised and/or ``max_wh`` Wh metered."""

    max_s: float | None = None
    max_wh: float | None = None

    def __post_init__(self) -> None:
        if self.max_s is None and self.max_wh is None:
            raise ValueError("a limit needs max_s or max_wh")
        for name, value in (("max_s", self.max_s), ("max_wh", self.max_wh)):
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value}")


@dataclass(frozen=True, slots=True)
class SocketRef:
    """One socket: shed id, post (device) id, socket number (1-based)."""

    shed: str
    device: str
    socket: int


@dataclass(frozen=True, slots=True)
class Session:
    """One charging session. Times are ms of the owner's clock; energy in Wh; cost in unrounded yuan."""

    session_id: str
    user_id: str
    community: str
    qr_id: str
    socket: SocketRef
    limit: Limit
    requested_ms: int
    status: SessionStatus = SessionStatus.REQUESTED
    active_ms: int | None = None  # when the edge confirmed the relay closed
    ended_ms: int | None = None
    end_reason: EndReason | None = None
    end_detail: str = ""  # e.g. the edge's refusal text or the fault, for "your session stopped because ..."
    energy_wh: float = 0.0  # metered at the edge for this session
    last_counter_wh: float | None = None  # the socket's cumulative meter at the last reading
    last_reading_ms: int | None = None
    cost_yuan: float = 0.0
    cost_by_period: dict[Period, float] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        """True until the session has ended."""
        return self.status is not SessionStatus.ENDED

    def evolve(self, **changes: Any) -> Self:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (enums as their values)."""
        d = asdict(self)
        d["status"] = self.status.value
        d["end_reason"] = self.end_reason.value if self.end_reason else None
        d["cost_by_period"] = {p.value: y for p, y in self.cost_by_period.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Session":
        """The session ``to_dict`` wrote; raises KeyError/ValueError/TypeError on a damaged record."""
        return cls(
            **{
                **d,
                "socket": SocketRef(**d["socket"]),
                "limit": Limit(**d["limit"]),
                "status": SessionStatus(d["status"]),
                "end_reason": EndReason(d["end_reason"]) if d["end_reason"] else None,
                "cost_by_period": {Period(p): float(y) for p, y in d["cost_by_period"].items()},
            }
        )
