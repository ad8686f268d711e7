"""Models of the staff alarm, incident and inspection routes (ISA-18.2 / OPC UA Part 9 terms, docs/alarms.md)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloud.core.alarms.clocks import ClockState, ClockView
from cloud.core.alarms.incidents import Incident, Resolution
from cloud.core.alarms.lifecycle import Policy
from cloud.core.alarms.model import Lifecycle
from cloud.state.staff_rows import AlarmRow
from protocol.ids import Id
from protocol.uplink import AlarmClass

MAX_SHELVE_S = Policy().max_shelve_ms / 1000
Text = Annotated[str, Field(max_length=2000)]


class AlarmOut(BaseModel):
    """One alarm instance. Times are epoch ms; ``key`` is SHED/DEVICE/SOCKET/TYPE (DEVICE '-' for the shed)."""

    id: int
    key: str
    shed: str
    device: str
    socket: int  # 0: not a socket's alarm
    type: str
    alarm_class: AlarmClass
    severity: int  # OPC UA 1..1000
    state: Lifecycle
    instance: int
    message: str
    value: float | None
    threshold: float | None
    raise_count: int
    raised_ms: int
    cleared_ms: int | None
    acked_ms: int | None
    acked_by: str | None
    silenced: bool
    shelved_until_ms: int | None
    shelved_by: str | None
    suppressed: bool
    out_of_service: bool
    assignee: str | None
    incident: str | None
    updated_ms: int
    origin: str  # 'edge' (an edge AlarmRaised; only the edge clears it) or 'cloud' (a cloud rule)

    @classmethod
    def of(cls, row: AlarmRow) -> "AlarmOut":
        """From a stored row."""
        a = row.alarm
        return cls(
            id=row.id,
            key=str(a.key),
            shed=a.key.shed,
            device=a.key.device,
            socket=a.key.socket,
            type=a.key.alarm_type,
            alarm_class=a.alarm_class,
            severity=a.severity,
            state=a.state,
            instance=a.instance,
            message=a.message,
            value=a.value,
            threshold=a.threshold,
            raise_count=a.raise_count,
            raised_ms=a.raised_ms,
            cleared_ms=a.cleared_ms,
            acked_ms=a.acked_ms,
            acked_by=a.acked_by,
            silenced=a.silenced,
            shelved_until_ms=a.shelved_until_ms,
            shelved_by=a.shelved_by,
            suppressed=a.suppressed,
            out_of_service=a.out_of_service,
            assignee=a.assignee,
            incident=row.incident,
            updated_ms=row.updated_ms,
            origin=a.origin.value,
        )


class AlarmList(BaseModel):
    """Alarms, newest change first."""

    alarms: list[AlarmOut]


class AuditOut(BaseModel):
    """One accepted change of the alarm: what, by whom, from which device (``api:IP``, ``link:IP``, ``cli``)."""

    model_config = ConfigDict(from_attributes=True)

    instance: int
    ts: int
    action: str
    actor: str | None
    device: str | None
    detail: str


class AlarmDetail(AlarmOut):
    """One alarm with its audit trail, oldest first."""

    audit: list[AuditOut]


class IncidentOut(BaseModel):
    """One incident; ``alarm_class`` is its most urgent alarm's. Times epoch ms."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    shed: str
    alarm_class: AlarmClass
    open: bool
    opened_ms: int
    last_alarm_ms: int
    alarms: int
    acked_ms: int | None
    acked_by: str | None
    acked_by_name: str | None = None
    onsite_ms: int | None
    onsite_by: str | None
    onsite_by_name: str | None = None
    resolved_ms: int | None
    resolution: Resolution | None
    note: str


class ClocksOut(BaseModel):
    """The two service clocks on the cloud's clock: deadlines (epoch ms), kept (true), broken (false) or neither
    (null: running, or ended by a resolution before the deadline; ``*_state`` tells which), seconds to the action,
    when they started (the opening or the latest upgrade), seconds since then (to the resolution once resolved)
    and the cloud's time they were judged at (``now_ms``)."""

    model_config = ConfigDict(from_attributes=True)

    ack_due_ms: int
    onsite_due_ms: int
    ack_kept: bool | None
    onsite_kept: bool | None
    ack_s: float | None
    onsite_s: float | None
    ack_state: ClockState
    onsite_state: ClockState
    started_ms: int
    elapsed_s: float
    now_ms: int


class IncidentItem(IncidentOut):
    """One incident of a list, with its service clocks (so a page needs no request per incident)."""

    clocks: ClocksOut

    @classmethod
    def of(cls, incident: Incident, view: ClockView) -> "IncidentItem":
        """The incident and its clocks at the time ``view`` was judged."""
        return cls(**IncidentOut.model_validate(incident).model_dump(), clocks=ClocksOut.model_validate(view))


class IncidentList(BaseModel):
    """Incidents, newest first."""

    incidents: list[IncidentItem]


class EdgeActOut(BaseModel):
    """What the edge did (its InterlockAction, docs/protocol.md): cut, refuse or restore power of a socket, post or
    the shed, for a reason (an alarm type or an interlock reason), latched or not."""

    model_config = ConfigDict(from_attributes=True)

    action: Literal["cut", "refuse", "restore"]
    scope: Literal["socket", "post", "shed"]
    device: str | None
    socket: int | None
    reason: str
    latched: bool


class TimelineOut(BaseModel):
    """One line of the timeline (kinds: docs/alarms.md, Incidents; ``comment`` and ``assigned`` from the API);
    ``edge`` on the ``interlock`` lines, null on the others; ``actor`` the id of who acted, ``actor_name`` the name
    people know them by."""

    model_config = ConfigDict(from_attributes=True)

    ts: int
    kind: str
    actor: str | None
    device: str | None
    detail: str
    edge: EdgeActOut | None = None
    actor_name: str | None = None  # who acted as people know them (cloud.alarms.names); ``actor`` keeps the id


class IncidentDetail(IncidentItem):
    """One incident with its clocks, timeline (oldest first), alarms and camera links."""

    clocks: ClocksOut
    timeline: list[TimelineOut]
    alarm_list: list[AlarmOut]
    cameras: list[str]


class ShelveIn(BaseModel):
    """Shelve for ``duration_s`` (ISA-18.2: every shelve has a time limit and a reason)."""

    duration_s: Annotated[float, Field(gt=0, le=MAX_SHELVE_S)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class AssignIn(BaseModel):
    """Make a person (their id in the rota, or a user id) responsible."""

    assignee: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]


class CommentIn(BaseModel):
    """A note; not empty."""

    text: Annotated[str, Field(min_length=1, max_length=2000)]


class ResolveIn(BaseModel):
    """Close an incident with what it was (GB 25201) and a note."""

    classification: Resolution
    note: Text = ""


class InspectionOut(BaseModel):
    """One recorded inspection of an extinguisher (``actor`` ``(registered)``: the count started when first seen)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    shed: str
    device: str
    ts: int
    actor: str
    note: str


class InspectionList(BaseModel):
    """Inspections, newest first."""

    inspections: list[InspectionOut]


class InspectionIn(BaseModel):
    """An inspection of one extinguisher of the shed."""

    device: Id
    note: Text = ""
