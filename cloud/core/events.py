"""Typed domain events: what ingest stored, as every part of the cloud learns it (pure data).

Each event names its shed, the edge's stream ``seq`` (for lifecycle events, the last seq the
edge had issued), the source timestamp ``ts`` and the cloud's arrival time ``received_at``
(both UTC epoch ms). ``position`` is the event's place in its shed's feed in the state store:
1, 2, 3, ... with no holes, assigned in the transaction that stored it, so a subscriber that
remembers the last position per shed sees every event once and in per-shed order, whether it
was listening live or catches up from the store after downtime (see ``cloud.core.cursor``).

Hierarchy::

    DomainEvent
     +-- SocketStatusChanged   a socket's live status changed (after the seq rules: never a stale one)
     +-- SocketRemoved         a birth's snapshot no longer lists a socket (the shed's config dropped it)
     +-- SocketStopChanged     an operator's stop of a socket was applied or lifted (after the seq rules)
     +-- EdgeOnline            a birth of a session not older than the known one, or a heartbeat that revived it
     +-- EdgeOffline           the edge's death (its MQTT will or a clean stop) of the current session
     +-- EdgeAlarmRaised       an alarm condition became active at the edge (ISA-18.2 "alarm", OPC UA ActiveState)
     +-- EdgeAlarmCleared      an alarm condition returned to normal at the edge
     +-- InterlockActed        power the edge cut, refused or restored, and why
     +-- CommandAnswered       the edge's result of a cloud command (OCPP-style request id)
     +-- GapDetected           seqs [first, last] of a shed's stream are missing at the cloud (asked again, or lost)
     +-- SessionChanged        a resident's charging session changed status or meter (published by the cloud)
"""

from dataclasses import dataclass
from typing import Literal

from protocol.uplink import AlarmClass, SocketStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Common fields: shed id, edge seq, source ts (ms), cloud arrival (ms), feed position (0 until stored)."""

    shed: str
    seq: int
    ts: int
    received_at: int
    position: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketStatusChanged(DomainEvent):
    """A socket's live status changed; ``previous`` is None the first time the cloud hears of the socket."""

    kind: Literal["socket_status_changed"] = "socket_status_changed"
    device: str
    socket: int
    status: SocketStatus
    previous: SocketStatus | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketRemoved(DomainEvent):
    """A birth's snapshot no longer lists this socket: it left live state (``previous``: its last status)."""

    kind: Literal["socket_removed"] = "socket_removed"
    device: str
    socket: int
    previous: SocketStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketStopChanged(DomainEvent):
    """An operator's stop of a socket (``stop_socket``) was applied (``stopped``) or lifted.

    ``actor``: who stopped it, None when lifted or when only a birth's snapshot told the stop; ``stopped_ts``:
    the edge's time of the stop (epoch ms), None when lifted.
    """

    kind: Literal["socket_stop_changed"] = "socket_stop_changed"
    device: str
    socket: int
    stopped: bool
    actor: str | None = None
    stopped_ts: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeOnline(DomainEvent):
    """The shed's edge is connected (session: its Sparkplug-style connection counter)."""

    kind: Literal["edge_online"] = "edge_online"
    session: int
    config_version: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeOffline(DomainEvent):
    """The shed's edge is gone; its sockets keep their last reported status."""

    kind: Literal["edge_offline"] = "edge_offline"
    session: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeAlarmRaised(DomainEvent):
    """An alarm the edge detected became active; ``alarm_id`` is stable per condition."""

    kind: Literal["edge_alarm_raised"] = "edge_alarm_raised"
    alarm_id: str
    alarm_class: AlarmClass
    alarm_type: str
    device: str | None = None
    socket: int | None = None
    message: str = ""
    value: float | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeAlarmCleared(DomainEvent):
    """An alarm the edge detected returned to normal (same ``alarm_id`` as its raise)."""

    kind: Literal["edge_alarm_cleared"] = "edge_alarm_cleared"
    alarm_id: str
    alarm_class: AlarmClass
    alarm_type: str
    device: str | None = None
    socket: int | None = None
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class InterlockActed(DomainEvent):
    """The edge cut, refused or restored power of a socket, post or the whole shed."""

    kind: Literal["interlock_acted"] = "interlock_acted"
    action: Literal["cut", "refuse", "restore"]
    scope: Literal["socket", "post", "shed"]
    reason: str
    device: str | None = None
    socket: int | None = None
    latched: bool = False
    actor: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandAnswered(DomainEvent):
    """The edge answered the cloud command ``request_id``."""

    kind: Literal["command_answered"] = "command_answered"
    request_id: str
    status: Literal["applied", "rejected", "expired", "failed"]
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GapDetected(DomainEvent):
    """Stream seqs ``first``..``last`` (inclusive) of this shed have not reached the cloud; ``seq`` = last.

    ``lost`` False: the cloud asked the edge to send them again; True: it gave them up (the edge no longer
    holds them), so that stretch of the shed's history is missing for good.
    """

    kind: Literal["gap_detected"] = "gap_detected"
    first: int
    last: int
    lost: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionChanged(DomainEvent):
    """A charging session (cloud.core.charging) changed: its status, energy or cost; ``user_id`` owns it.

    ``status`` is a ``SessionStatus`` value; ``end_reason`` an ``EndReason`` value once it ended.
    """

    kind: Literal["session_changed"] = "session_changed"
    session_id: str
    user_id: str
    device: str
    socket: int
    status: str
    energy_wh: float = 0.0
    cost_yuan: float = 0.0
    end_reason: str | None = None


AnyEvent = (
    SocketStatusChanged
    | SocketRemoved
    | SocketStopChanged
    | EdgeOnline
    | EdgeOffline
    | EdgeAlarmRaised
    | EdgeAlarmCleared
    | InterlockActed
    | CommandAnswered
    | GapDetected
    | SessionChanged
)
EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    SocketStatusChanged,
    SocketRemoved,
    SocketStopChanged,
    EdgeOnline,
    EdgeOffline,
    EdgeAlarmRaised,
    EdgeAlarmCleared,
    InterlockActed,
    CommandAnswered,
    GapDetected,
    SessionChanged,
)
