"""Reads of the staff API over the state store (on a connection): sheds with their inventory, alarms, incidents
and inspections, filtered by community so a caller never loads what they may not see.

``communities`` arguments: the set of community ids whose rows to return, or None for all (a deployment-wide
admin). Nothing here decides who may see what: the routes do (cloud.api.principal.require).
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, func, select, true

from cloud.alarms.codec import alarm_from_json, incident_from_json
from cloud.core.alarms.incidents import Incident
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.state.alarm_schema import alarm_audit, alarms, incidents, inspections, joined_alarms
from cloud.state.schema import devices, posts, sheds

MAX_ROWS = 1000  # the most rows one list returns
CLASS_SCAN = 10_000  # newest alarm rows a class filter looks through


@dataclass(frozen=True, slots=True)
class ShedRow:
    """A shed of the inventory (or heard from): community, display name, config versions held and reported."""

    shed: str
    community: str
    name: str
    registered: bool
    config_version: int
    reported_config_version: int


@dataclass(frozen=True, slots=True)
class ShedInventory:
    """A shed with its posts (id, sockets) and other devices (id, kind), each sorted by id."""

    shed: ShedRow
    posts: list[tuple[str, int]]
    devices: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class AlarmRow:
    """A stored alarm instance: its row id, the alarm, its incident and when it last changed (epoch ms)."""

    id: int
    alarm: Alarm
    incident: str | None
    updated_ms: int


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One line of an alarm's audit trail."""

    instance: int
    ts: int
    action: str
    actor: str | None
    device: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class InspectionRow:
    """One recorded inspection of an extinguisher."""

    id: int
    shed: str
    device: str
    ts: int
    actor: str
    note: str


def _scope(communities: Collection[str] | None) -> ColumnElement[bool]:
    """Rows of sheds in these communities (all when None); the query must join ``sheds``."""
    return true() if communities is None else sheds.c.community.in_(sorted(communities))


def _shed_row(r: Row[*tuple[Any, ...]]) -> ShedRow:
    return ShedRow(
        r.shed, r.community, r.name, bool(r.registered), int(r.config_version), int(r.reported_config_version)
    )


_SHED_COLS = (
    sheds.c.shed,
    sheds.c.community,
    sheds.c.name,
    sheds.c.registered,
    sheds.c.config_version,
    sheds.c.reported_config_version,
)


def shed_list(conn: Connection, communities: Collection[str] | None) -> list[ShedRow]:
    """Sheds of these communities, by id."""
    q = select(*_SHED_COLS).where(_scope(communities)).order_by(sheds.c.shed)
    return [_shed_row(r) for r in conn.execute(q)]


def shed_community(conn: Connection, shed: str) -> str | None:
    """The community of a shed, None when the cloud does not know the shed."""
    found = conn.execute(select(sheds.c.community).where(sheds.c.shed == shed)).first()
    return None if found is None else str(found.community)


def shed_inventory(conn: Connection, shed: str) -> ShedInventory | None:
    """The shed with its posts and devices, None when unknown."""
    row = conn.execute(select(*_SHED_COLS).where(sheds.c.shed == shed)).first()
    if row is None:
        return None
    post_rows = conn.execute(select(posts.c.post, posts.c.sockets).where(posts.c.shed == shed).order_by(posts.c.post))
    device_rows = conn.execute(
        select(devices.c.device, devices.c.kind).where(devices.c.shed == shed).order_by(devices.c.device)
    )
    return ShedInventory(
        _shed_row(row), [(r.post, int(r.sockets)) for r in post_rows], [(r.device, r.kind) for r in device_rows]
    )


def alarm_list(
    conn: Connection,
    communities: Collection[str] | None,
    *,
    shed: str | None = None,
    state: str | None = None,
    since_ms: int | None = None,
    alarm_class: str | None = None,
    limit: int = 200,
) -> list[AlarmRow]:
    """Alarm instances, newest change first. ``state``: a Lifecycle value, or ``open`` for any but normal.

    The class lives in the stored body, so it is filtered here over at most ``CLASS_SCAN`` newest rows.
    """
    q = (
        select(alarms.c.id, alarms.c.body, alarms.c.incident, alarms.c.updated_ms)
        .join(sheds, sheds.c.shed == alarms.c.shed)
        .where(_scope(communities))
    )
    if shed is not None:
        q = q.where(alarms.c.shed == shed)
    if state == "open":
        q = q.where(alarms.c.state != Lifecycle.NORMAL.value)
    elif state is not None:
        q = q.where(alarms.c.state == state)
    if since_ms is not None:
        q = q.where(alarms.c.updated_ms >= since_ms)
    limit = min(limit, MAX_ROWS)
    q = q.order_by(alarms.c.updated_ms.desc(), alarms.c.id.desc()).limit(CLASS_SCAN if alarm_class else limit)
    rows = (AlarmRow(int(r.id), alarm_from_json(r.body), r.incident, int(r.updated_ms)) for r in conn.execute(q))
    return [r for r in rows if alarm_class is None or r.alarm.alarm_class == alarm_class][:limit]


def alarm_by_id(conn: Connection, alarm_id: int) -> AlarmRow | None:
    """One alarm instance by its row id."""
    r = conn.execute(
        select(alarms.c.id, alarms.c.body, alarms.c.incident, alarms.c.updated_ms).where(alarms.c.id == alarm_id)
    ).first()
    return None if r is None else AlarmRow(int(r.id), alarm_from_json(r.body), r.incident, int(r.updated_ms))


def latest_alarm_id(conn: Connection, key: AlarmKey) -> int | None:
    """The row id of the newest instance of ``key``, if it was ever raised."""
    found = conn.execute(
        select(alarms.c.id).where(alarms.c.key == str(key)).order_by(alarms.c.instance.desc()).limit(1)
    ).scalar()
    return None if found is None else int(found)


def incident_alarms(conn: Connection, incident: str) -> list[AlarmRow]:
    """Every alarm instance that joined ``incident``, in the order they were stored."""
    q = select(alarms.c.id, alarms.c.body, alarms.c.incident, alarms.c.updated_ms).select_from(joined_alarms(incident))
    return [
        AlarmRow(int(r.id), alarm_from_json(r.body), r.incident, int(r.updated_ms))
        for r in conn.execute(q.order_by(alarms.c.id))
    ]


def audit_of(conn: Connection, alarm: Alarm) -> list[AuditLine]:
    """The audit trail of this instance, oldest first."""
    q = (
        select(alarm_audit)
        .where(alarm_audit.c.key == str(alarm.key), alarm_audit.c.instance == alarm.instance)
        .order_by(alarm_audit.c.id)
    )
    return [AuditLine(r.instance, r.ts, r.action, r.actor, r.device, r.detail) for r in conn.execute(q)]


def incident_list(
    conn: Connection,
    communities: Collection[str] | None,
    *,
    shed: str | None = None,
    open_only: bool = False,
    since_ms: int | None = None,
    limit: int = 200,
) -> list[Incident]:
    """Incidents, newest opening first."""
    q = select(incidents.c.body).join(sheds, sheds.c.shed == incidents.c.shed).where(_scope(communities))
    if shed is not None:
        q = q.where(incidents.c.shed == shed)
    if open_only:
        q = q.where(incidents.c.resolved_ms.is_(None))
    if since_ms is not None:
        q = q.where(incidents.c.opened_ms >= since_ms)
    q = q.order_by(incidents.c.opened_ms.desc(), incidents.c.id).limit(min(limit, MAX_ROWS))
    return [incident_from_json(r.body) for r in conn.execute(q)]


def last_inspections(conn: Connection, shed: str) -> dict[str, int]:
    """The newest inspection time (epoch ms) of each device of a shed that has one."""
    q = (
        select(inspections.c.device, func.max(inspections.c.ts).label("ts"))
        .where(inspections.c.shed == shed)
        .group_by(inspections.c.device)
    )
    return {r.device: int(r.ts) for r in conn.execute(q)}


def inspection_list(
    conn: Connection, shed: str, *, since_ms: int | None = None, limit: int = 200
) -> list[InspectionRow]:
    """Inspections recorded in a shed, newest first."""
    q = select(inspections).where(inspections.c.shed == shed)
    if since_ms is not None:
        q = q.where(inspections.c.ts >= since_ms)
    q = q.order_by(inspections.c.ts.desc(), inspections.c.id.desc()).limit(min(limit, MAX_ROWS))
    return [InspectionRow(int(r.id), r.shed, r.device, int(r.ts), r.actor, r.note) for r in conn.execute(q)]
