"""Payloads between the edge agent and the cloud.

Stream messages (telemetry batches, events, command results) share one contiguous
per-shed ``seq``: the cloud deduplicates on (src, seq) and can see any gap.
Lifecycle messages (state, heartbeat) carry the last stream ``seq`` issued, as
Sparkplug's birth and death do, so a gap is visible even when nothing else flows.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from protocol.commands import LimitS, LimitWh
from protocol.device import Text
from protocol.envelope import Envelope, EpochMs, Message, SocketNo
from protocol.ids import Id, SessionId

FIELD_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
FIELD_MAX_LEN = 32
MAX_FIELDS = 24  # per telemetry point
MAX_POINTS = 10_000  # per telemetry batch
FieldName = Annotated[str, Field(pattern=FIELD_PATTERN)]


class TelemetryPoint(Message):
    """One reading of one device (and socket), as a flat set of numeric fields."""

    ts: EpochMs
    device: Id
    socket: SocketNo | None = None
    fields: Annotated[dict[FieldName, float], Field(min_length=1, max_length=MAX_FIELDS)]


class TelemetryBatch(Envelope):
    """A shed's readings since the last batch (every 5 s by default)."""

    points: Annotated[list[TelemetryPoint], Field(min_length=1, max_length=MAX_POINTS)]


class AlarmClass(StrEnum):
    """Alarm classes, most urgent first (ordered as the priorities of ISA-18.2 / IEC 62682 and EN 54)."""

    FIRE = "fire"
    PRE_FIRE = "pre_fire"
    SUPERVISORY = "supervisory"
    TROUBLE = "trouble"
    OPERATIONAL = "operational"
    SERVICE = "service"


class SocketStatus(StrEnum):
    """A socket as the residents and the control room see it."""

    FREE = "free"
    CHARGING = "charging"
    PLUGGED = "plugged"  # plugged in, not drawing: waiting, refused, or "not charging"
    FULL = "full"  # battery full, bike still occupying the socket
    FAULTED = "faulted"  # tripped, post fault, or post offline


class EdgeEvent(Envelope):
    """Base of what the edge reports: ``clock_suspect`` marks a ``ts`` from an edge clock that was not plausible.

    A Raspberry Pi has no real-time clock: until NTP syncs it may read 1970 (or its last saved time). The edge
    still supervises and reports; the flag lets the cloud order such an event by its arrival instead.
    """

    clock_suspect: bool = False


class _AlarmBase(EdgeEvent):
    alarm_id: Annotated[str, Field(min_length=1, max_length=128)]  # stable per condition
    alarm_class: AlarmClass
    alarm_type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    device: Id | None = None
    socket: SocketNo | None = None
    message: Text = ""


class AlarmRaised(_AlarmBase):
    """An alarm condition became active at the edge."""

    type: Literal["alarm_raised"] = "alarm_raised"
    value: float | None = None
    threshold: float | None = None


class AlarmCleared(_AlarmBase):
    """An alarm condition returned to normal at the edge."""

    type: Literal["alarm_cleared"] = "alarm_cleared"


class InterlockAction(EdgeEvent):
    """Power the edge cut, refused or restored, and why."""

    type: Literal["interlock"] = "interlock"
    action: Literal["cut", "refuse", "restore"]
    scope: Literal["socket", "post", "shed"]
    device: Id | None = None
    socket: SocketNo | None = None
    reason: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    latched: bool = False
    actor: Annotated[str, Field(max_length=64)] | None = None


class SocketStatusChanged(EdgeEvent):
    """A socket's status changed (what availability and live state are built from)."""

    type: Literal["socket_status"] = "socket_status"
    device: Id
    socket: SocketNo
    status: SocketStatus
    session_id: Annotated[str, Field(max_length=64)] | None = None
    energy_wh: Annotated[float, Field(ge=0)] | None = None


class DeviceStatusChanged(EdgeEvent):
    """A device came online or went silent."""

    type: Literal["device_status"] = "device_status"
    device: Id
    online: bool


class SessionEndReason(StrEnum):
    """Why the edge ended a charging session (OCPP 2.0.1 ``TransactionEventRequest.stoppedReason`` in spirit)."""

    FULL = "full"  # the battery is full (the edge's full detection)
    UNPLUGGED = "unplugged"  # the bike was taken away (also while the edge was down)
    STOPPED = "stopped"  # a stop_session command (resident or staff)
    LIMIT_ENERGY = "limit_energy"  # limit_wh metered
    LIMIT_TIME = "limit_time"  # limit_s energised (monotonic), or the shed's max_session_s / forced_end_s
    INTERLOCK = "interlock"  # a safety cut (trip, shed trip, post over its limit, operator stop_socket)
    FAULT = "fault"  # the socket faulted or became unsupervised (post fault or offline)
    REMOVED = "removed"  # a config push dropped the post or socket, or turned the shed open


class _SessionBase(EdgeEvent):
    session: SessionId
    device: Id
    socket: SocketNo


class SessionStarted(_SessionBase):
    """The edge took a start_session and energises the socket for it; the limits it enforces (None: none set)."""

    type: Literal["session_started"] = "session_started"
    limit_wh: LimitWh | None = None
    limit_s: LimitS | None = None


class SessionMeter(_SessionBase):
    """An active session's energy (Wh since its start) and time (s, monotonic); every 60 s while active."""

    type: Literal["session_meter"] = "session_meter"
    energy_wh: Annotated[float, Field(ge=0)]
    duration_s: Annotated[float, Field(ge=0)]


class SessionEnded(_SessionBase):
    """A session ended at the edge: its final energy (Wh) and duration (s), and why."""

    type: Literal["session_ended"] = "session_ended"
    energy_wh: Annotated[float, Field(ge=0)]
    duration_s: Annotated[float, Field(ge=0)]
    reason: SessionEndReason


SessionEvent = SessionStarted | SessionMeter | SessionEnded

# every event type an edge reports on edge/event (and the edge's own decisions emit)
AnyEvent = (
    AlarmRaised
    | AlarmCleared
    | InterlockAction
    | SocketStatusChanged
    | DeviceStatusChanged
    | SessionStarted
    | SessionMeter
    | SessionEnded
)
Event = Annotated[AnyEvent, Field(discriminator="type")]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class CommandResult(EdgeEvent):
    """The edge's answer to a cloud command."""

    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    status: Literal["applied", "rejected", "expired", "failed"]
    detail: Text = ""


class SocketSnapshot(Message):
    """One socket's status in a birth certificate.

    ``stopped``: an operator's ``stop_socket`` holds it off until ``start_socket`` (the edge keeps that stop
    across a reconnect and across its own restart: the birth says which, so the cloud follows the edge).
    """

    device: Id
    socket: SocketNo
    status: SocketStatus
    stopped: bool = False


class EdgeState(Envelope):
    """Birth (on connect) or death (the MQTT will, or on clean stop); retained."""

    state: Literal["birth", "death"]
    session: Annotated[int, Field(ge=0)]  # bumps on every (re)connect, like Sparkplug bdSeq
    oldest_seq: Annotated[int, Field(ge=0)] = 0  # the lowest stream seq the edge still holds; 0: none
    config_version: Annotated[int, Field(ge=0)] = 0
    sockets: Annotated[list[SocketSnapshot], Field(max_length=10_000)] = []


class RejectCount(Message):
    """How many inputs the edge refused (or took but flagged) for one reason on one topic kind, since it started."""

    reason: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    topic: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_/]{0,47}$")]  # a topic kind (Kind value) or "unparsed"
    count: Annotated[int, Field(ge=0)]


class EdgeHeartbeat(Envelope):
    """The edge agent's sign of life, with its backlog and its reject counts."""

    session: Annotated[int, Field(ge=0)]
    uptime_s: Annotated[int, Field(ge=0)]
    outbox_depth: Annotated[int, Field(ge=0)]
    oldest_seq: Annotated[int, Field(ge=0)] = 0  # the lowest stream seq the edge still holds; 0: none
    rejects: Annotated[list[RejectCount], Field(max_length=512)] = []


class SeqRange(Message):
    """Stream seqs ``first`` to ``last`` (both included)."""

    first: Annotated[int, Field(ge=1)]
    last: Annotated[int, Field(ge=1)]


class StoredAck(Envelope):
    """The cloud's end-to-end acknowledgement of one shed's stream (retained, src: the cloud's id).

    ``stored_seq``: every stream message of the shed with a seq at or below it is stored in the cloud;
    the edge may forget those rows. ``highest_seq``: an edge whose store is new numbers above it.
    ``resend``: seqs above it the cloud found missing (from the seqs
    it stored and the last seq that births and heartbeats announce) and asks for again. ``lost``:
    seqs the cloud has given up on (the edge no longer holds them); shown on the cloud's /healthz.
    ``edge_session``: the newest edge session (birth, death or heartbeat) the cloud knows for the shed; an
    edge whose store is new moves its session counter above it before its birth (else its birth and
    heartbeats would be judged stale and the edge shown offline).
    """

    shed: Id
    stored_seq: Annotated[int, Field(ge=0)]
    highest_seq: Annotated[int, Field(ge=0)] = 0  # the highest seq the cloud knows the shed issued
    resend: Annotated[list[SeqRange], Field(max_length=100)] = []
    lost: Annotated[list[SeqRange], Field(max_length=100)] = []
    edge_session: Annotated[int, Field(ge=0)] = 0  # the newest edge session the cloud knows for the shed
