"""Reads and writes of the alarm tables, always inside a caller's transaction (one Connection).

Nothing here decides anything: the pure core does, the service and the staff actions call these to load
what it needs and store what it decided.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, and_, func, insert, select, update

from cloud.alarms.codec import alarm_from_json, alarm_to_json, incident_from_json, incident_to_json
from cloud.core.alarms.edge_acts import belongs
from cloud.core.alarms.incidents import Incident, Resolution
from cloud.core.alarms.lifecycle import RERAISE_ACTIONS, AuditEntry
from cloud.core.alarms.load import AlarmRecord
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.core.alarms.rules import FullSocket, LostGap, ShedFacts
from cloud.core.eventcodec import event_from_json
from cloud.core.events import GapDetected
from cloud.core.notify.reroute import PendingAlert
from cloud.state.alarm_schema import (
    alarm_audit,
    alarm_seen,
    alarms,
    alerts,
    incident_alarms,
    incident_events,
    incidents,
    inspections,
    joined_alarms,
)
from cloud.state.charging_schema import charging_sessions
from cloud.state.dialect import upsert_insert
from cloud.state.inventory import camera_links, newest_config
from cloud.state.schema import devices, edge_states, events, feed, shed_configs, sheds, sockets

EDGE_ALARM_TYPES = ("alarm_raised", "alarm_cleared")
REGISTERED = "(registered)"
EDGE_CLOCK_TRUST_MS = 600_000  # actor of the first inspection record: the day the alarm service first saw it
OWNER_WITHIN_MS = 86_400_000  # a full socket's owner: a session ended full at most a day ago


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored edge event the alarm service has not applied yet."""

    src: str
    seq: int
    type: str
    body: bytes
    received_ms: int


@dataclass(frozen=True, slots=True)
class EdgeAct:
    """What the edge did, as its InterlockAction said it (so a page can word it in its own language)."""

    action: str
    scope: str
    device: str | None
    socket: int | None
    reason: str
    latched: bool


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of an incident's timeline; ``edge`` set on the edge's interlock lines."""

    ts: int
    kind: str
    actor: str | None
    device: str | None
    detail: str
    edge: EdgeAct | None = None
    actor_name: str | None = None  # the actor as people know them (cloud.alarms.names.named), set by the reader


class AlarmRepo:
    """Queries over one connection; ``for_update`` adds row locks on PostgreSQL (SQLite locks the file)."""

    def __init__(self, conn: Connection, *, sqlite: bool) -> None:
        self.conn = conn
        self.sqlite = sqlite

    # -- alarms -------------------------------------------------------------------------------

    def latest_alarm(self, key: AlarmKey) -> tuple[Alarm, str | None] | None:
        """The newest instance of ``key`` and its incident, if any."""
        row = self.conn.execute(
            select(alarms.c.body, alarms.c.incident)
            .where(alarms.c.key == str(key))
            .order_by(alarms.c.instance.desc())
            .limit(1)
        ).first()
        return None if row is None else (alarm_from_json(row.body), row.incident)

    def save_alarm(self, alarm: Alarm, incident: str | None, now: int) -> None:
        """Insert or update the instance."""
        values = {
            "shed": alarm.key.shed,
            "state": alarm.state.value,
            "incident": incident,
            "updated_ms": now,
            "body": alarm_to_json(alarm),
        }
        done = self.conn.execute(
            update(alarms).where(alarms.c.key == str(alarm.key), alarms.c.instance == alarm.instance).values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(insert(alarms).values(key=str(alarm.key), instance=alarm.instance, **values))
        if incident is not None:
            # The join, once per incident: the incident keeps it when the alarm later moves to a newer incident.
            self.conn.execute(
                upsert_insert(self.conn)(incident_alarms)
                .values(incident=incident, key=str(alarm.key), instance=alarm.instance, joined_ms=now)
                .on_conflict_do_nothing()
            )

    def open_alarms(self, shed: str | None = None, incident: str | None = None) -> list[tuple[Alarm, str | None]]:
        """Alarms not yet back to normal, optionally of one shed or one incident."""
        q = select(alarms.c.body, alarms.c.incident).where(alarms.c.state != Lifecycle.NORMAL.value)
        if shed is not None:
            q = q.where(alarms.c.shed == shed)
        if incident is not None:
            q = q.where(alarms.c.incident == incident)
        return [(alarm_from_json(r.body), r.incident) for r in self.conn.execute(q.order_by(alarms.c.id))]

    def incident_alarms(self, incident: str) -> list[Alarm]:
        """Every alarm instance that joined ``incident``."""
        q = select(alarms.c.body).select_from(joined_alarms(incident)).order_by(alarms.c.id)
        return [alarm_from_json(r.body) for r in self.conn.execute(q)]

    def load_records(self, since_ms: int) -> list[AlarmRecord]:
        """Alarm instances updated since ``since_ms`` for the load figures, each with its incident's classification
        (what the false-alarm rate per device counts; None while unresolved or when it joined no incident)."""
        q = select(alarms.c.id, alarms.c.body).where(alarms.c.updated_ms >= since_ms).order_by(alarms.c.id)
        # Every incident the instance joined (an unshelved alarm may take part in two): each classification counts.
        q_cls = (
            select(incident_alarms.c.key, incident_alarms.c.instance, incidents.c.body)
            .select_from(incident_alarms.join(incidents, incident_alarms.c.incident == incidents.c.id))
            .where(incidents.c.resolved_ms.is_not(None))
            .order_by(incident_alarms.c.joined_ms)
        )
        classes: dict[tuple[str, int], list[Resolution]] = {}
        for key, instance, body in self.conn.execute(q_cls):
            resolution = incident_from_json(body).resolution
            if resolution is not None:
                classes.setdefault((key, instance), []).append(resolution)
        # Every Raise of an open instance writes one audit line ('returned' or 'updated', cloud.core.alarms.lifecycle):
        # the re-raises that chattering counts (damping keeps a flapping key's instance open).
        reraises: dict[tuple[str, int], list[int]] = {}
        q_re = select(alarm_audit.c.key, alarm_audit.c.instance, alarm_audit.c.ts).where(
            alarm_audit.c.ts >= since_ms, alarm_audit.c.action.in_(RERAISE_ACTIONS)
        )
        for key, instance, ts in self.conn.execute(q_re.order_by(alarm_audit.c.id)):
            reraises.setdefault((key, instance), []).append(int(ts))
        out = []
        for r in self.conn.execute(q):
            a = alarm_from_json(r.body)
            closed = None if a.open else a.cleared_ms
            again = tuple(reraises.get((str(a.key), a.instance), ()))
            resolutions = tuple(classes.get((str(a.key), a.instance), ()))
            out.append(AlarmRecord(str(a.key), a.key.device, a.raised_ms, closed, resolutions, again))
        return out

    def audit(self, alarm: Alarm, entry: AuditEntry, now: int) -> None:
        """Append one audit line."""
        self.conn.execute(
            insert(alarm_audit).values(
                key=str(alarm.key),
                instance=alarm.instance,
                ts=now,
                action=entry.action,
                actor=entry.actor,
                device=entry.device,
                detail=entry.detail[:2000],
            )
        )

    def audit_of(self, key: AlarmKey) -> list[tuple[int, int, str, str | None, str | None, str]]:
        """(instance, ts, action, actor, device, detail) of every audit line of ``key``, oldest first."""
        q = select(alarm_audit).where(alarm_audit.c.key == str(key)).order_by(alarm_audit.c.id)
        return [(r.instance, r.ts, r.action, r.actor, r.device, r.detail) for r in self.conn.execute(q)]

    # -- incidents ----------------------------------------------------------------------------

    def incident(self, incident_id: str, *, lock: bool = False) -> Incident | None:
        """One incident (row-locked on PostgreSQL when ``lock``)."""
        q = select(incidents.c.body).where(incidents.c.id == incident_id)
        if lock and not self.sqlite:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return None if row is None else incident_from_json(row.body)

    def latest_incident(self, shed: str, *, lock: bool = False) -> Incident | None:
        """The shed's newest incident."""
        q = select(incidents.c.body).where(incidents.c.shed == shed).order_by(incidents.c.opened_ms.desc()).limit(1)
        if lock and not self.sqlite:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return None if row is None else incident_from_json(row.body)

    def save_incident(self, incident: Incident) -> None:
        """Insert or update."""
        values = {"shed": incident.shed, "opened_ms": incident.opened_ms, "resolved_ms": incident.resolved_ms}
        body = incident_to_json(incident)
        done = self.conn.execute(update(incidents).where(incidents.c.id == incident.id).values(body=body, **values))
        if done.rowcount == 0:
            self.conn.execute(insert(incidents).values(id=incident.id, body=body, **values))

    def open_incidents(self) -> list[Incident]:
        """Every unresolved incident."""
        q = select(incidents.c.body).where(incidents.c.resolved_ms.is_(None)).order_by(incidents.c.opened_ms)
        return [incident_from_json(r.body) for r in self.conn.execute(q)]

    def all_incidents(self, since_ms: int = 0) -> list[Incident]:
        """Incidents opened since ``since_ms``."""
        q = select(incidents.c.body).where(incidents.c.opened_ms >= since_ms).order_by(incidents.c.opened_ms)
        return [incident_from_json(r.body) for r in self.conn.execute(q)]

    def note(
        self,
        incident: str,
        kind: str,
        now: int,
        *,
        actor: str | None = None,
        device: str | None = None,
        detail: str = "",
    ) -> None:
        """Append one timeline line."""
        self.conn.execute(
            insert(incident_events).values(
                incident=incident, ts=now, kind=kind, actor=actor, device=device, detail=detail[:2000]
            )
        )

    def timeline(self, incident: Incident) -> list[TimelineEntry]:
        """The incident's own lines plus the edge's interlock actions in the shed, from the stored events.

        The interlock actions come straight from the edge's events (from a minute before the incident opened,
        since the edge cuts power before the cloud hears the alarm, to its resolution), never retyped, and only
        those about the incident's own alarms (cloud.core.alarms.edge_acts): not a later, separate incident's.
        """
        keys = {a.key for a in self.incident_alarms(incident.id)}
        own = [
            TimelineEntry(r.ts, r.kind, r.actor, r.device, r.detail)
            for r in self.conn.execute(
                select(incident_events).where(incident_events.c.incident == incident.id).order_by(incident_events.c.id)
            )
        ]
        end = incident.resolved_ms if incident.resolved_ms is not None else 2**62
        q = select(events.c.received_ms, events.c.body).where(
            events.c.src == incident.shed,
            events.c.type == "interlock",
            events.c.received_ms >= incident.opened_ms - 60_000,
            events.c.received_ms <= end,
        )
        edge = []
        for r in self.conn.execute(q):
            body = orjson.loads(r.body)
            scope, device, socket = body["scope"], body.get("device"), body.get("socket")
            if not belongs(keys, reason=body["reason"], scope=scope, device=device, socket=socket):
                continue
            where = "/".join(str(x) for x in (body.get("device"), body.get("socket")) if x is not None)
            detail = f"{body['action']} {body['scope']} {where} ({body['reason']})".replace("  ", " ")
            # When the edge acted, by its own clock, unless that clock is plainly wrong (a Pi booting in 1970).
            ts = int(body["ts"]) if abs(int(body["ts"]) - r.received_ms) <= EDGE_CLOCK_TRUST_MS else r.received_ms
            act = EdgeAct(
                body["action"],
                body["scope"],
                body.get("device"),
                body.get("socket"),
                body["reason"],
                bool(body.get("latched", False)),
            )
            edge.append(TimelineEntry(ts, "interlock", body.get("actor"), None, detail, act))
        return sorted(own + edge, key=lambda e: e.ts)

    # -- alerts ---------------------------------------------------------------------------------

    def enqueue(self, *, incident: str, step: str, person: str, target: str, title: str, body: str, now: int) -> bool:
        """Add one alert unless this (incident, step, person, target) already exists; True when new."""
        exists = self.conn.execute(
            select(alerts.c.id).where(
                alerts.c.incident == incident,
                alerts.c.step == step,
                alerts.c.person == person,
                alerts.c.target == target,
            )
        ).first()
        if exists is not None:
            return False
        self.conn.execute(
            insert(alerts).values(
                incident=incident,
                step=step,
                person=person,
                target=target,
                title=title,
                body=body,
                status="pending",
                attempts=0,
                next_ms=now,
                created_ms=now,
            )
        )
        return True

    def pending_incident_alerts(self) -> list[PendingAlert]:
        """Every pending alert of an incident (a resident's notices, of no incident, are not the rota's)."""
        q = (
            select(alerts.c.id, alerts.c.incident, alerts.c.step, alerts.c.person, alerts.c.target)
            .add_columns(alerts.c.title, alerts.c.body)
            .where(alerts.c.status == "pending", alerts.c.incident.in_(select(incidents.c.id)))
            .order_by(alerts.c.id)
        )
        rows = self.conn.execute(q)
        return [PendingAlert(int(r.id), r.incident, r.step, r.person, r.target, r.title, r.body) for r in rows]

    def supersede(self, alert_id: int, detail: str) -> bool:
        """Close a pending alert as ``superseded``; False when it is no longer pending (delivered meanwhile)."""
        done = self.conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.status == "pending")
            .values(status="superseded", detail=detail[:1000])
        )
        return bool(done.rowcount)

    def alerted_people(self, incident: str) -> list[str]:
        """Everyone an alert of ``incident`` was queued for, in first-queued order."""
        q = select(alerts.c.person, func.min(alerts.c.id).label("first")).where(alerts.c.incident == incident)
        return [r.person for r in self.conn.execute(q.group_by(alerts.c.person).order_by("first"))]

    def last_detail(self, incident: str, kind: str) -> str | None:
        """The detail of the incident's newest timeline line of ``kind`` (None: there is none)."""
        q = (
            select(incident_events.c.detail)
            .where(incident_events.c.incident == incident, incident_events.c.kind == kind)
            .order_by(incident_events.c.id.desc())
            .limit(1)
        )
        found = self.conn.execute(q).scalar()
        return None if found is None else str(found)

    def steps_taken(self, incident: str) -> set[str]:
        """Paging steps already taken (each leaves a ``step_NAME`` line, even when nobody could be paged)."""
        q = select(incident_events.c.kind).where(
            incident_events.c.incident == incident, incident_events.c.kind.like("step\\_%", escape="\\")
        )
        return {r.kind.removeprefix("step_") for r in self.conn.execute(q)}

    # -- applied events -------------------------------------------------------------------------

    def unapplied_events(self, limit: int, since_ms: int = 0) -> list[StoredEvent]:
        """Stored edge alarm events not yet applied that arrived at or after ``since_ms``, oldest arrival first."""
        q = (
            select(events.c.src, events.c.seq, events.c.type, events.c.body, events.c.received_ms)
            .select_from(
                events.outerjoin(alarm_seen, and_(alarm_seen.c.src == events.c.src, alarm_seen.c.seq == events.c.seq))
            )
            .where(events.c.type.in_(EDGE_ALARM_TYPES), events.c.received_ms >= since_ms, alarm_seen.c.seq.is_(None))
            .order_by(events.c.received_ms, events.c.src, events.c.seq)
            .limit(limit)
        )
        return [StoredEvent(r.src, r.seq, r.type, r.body.encode(), r.received_ms) for r in self.conn.execute(q)]

    def mark_applied(self, src: str, seq: int) -> None:
        """Remember that (src, seq) was applied."""
        self.conn.execute(insert(alarm_seen).values(src=src, seq=seq))

    # -- facts for the cloud rules --------------------------------------------------------------

    def camera_urls(self, shed: str) -> list[str]:
        """The shed's camera links from the cloud inventory."""
        return [c.url for c in camera_links(self.conn, shed)]

    def sheds(self) -> list[tuple[str, str]]:
        """(shed, community) of every shed heard from or registered."""
        return [(r.shed, r.community) for r in self.conn.execute(select(sheds.c.shed, sheds.c.community))]

    def record_inspection(self, shed: str, device: str, now: int, actor: str, note: str = "") -> None:
        """Record one inspection of an extinguisher."""
        self.conn.execute(insert(inspections).values(shed=shed, device=device, ts=now, actor=actor, note=note))

    def facts(self, shed: str, now: int, *, crowded: bool) -> ShedFacts:
        """What the rules need about one shed, from the stored state (registering unseen extinguishers)."""
        row = self.conn.execute(select(sheds).where(sheds.c.shed == shed)).one()
        birth_rx = self.conn.execute(
            select(func.max(edge_states.c.received_ms)).where(edge_states.c.src == shed, edge_states.c.state == "birth")
        ).scalar()
        seen = max(row.last_seen_ms or 0, birth_rx or 0)
        extinguishers = frozenset(
            r.device
            for r in self.conn.execute(
                select(devices.c.device).where(devices.c.shed == shed, devices.c.kind == "extinguisher")
            )
        )
        inspected: dict[str, int] = {}
        for r in self.conn.execute(
            select(inspections.c.device, func.max(inspections.c.ts).label("ts"))
            .where(inspections.c.shed == shed)
            .group_by(inspections.c.device)
        ):
            inspected[r.device] = int(r.ts)
        for ext in sorted(extinguishers - inspected.keys()):
            self.record_inspection(shed, ext, now, REGISTERED, "first seen: inspection interval counted from here")
            inspected[ext] = now
        full = {
            (r.device, r.socket): FullSocket(min(int(r.ts), now), self._full_owner(shed, r.device, r.socket, now))
            for r in self.conn.execute(
                select(sockets.c.device, sockets.c.socket, sockets.c.ts).where(
                    sockets.c.shed == shed, sockets.c.status == "full"
                )
            )
        }
        return ShedFacts(
            shed=shed,
            edge_last_seen_ms=seen or None,
            edge_dead=bool(seen) and not row.online,
            crowded=crowded,
            extinguishers=extinguishers,
            inspected_ms=inspected,
            full_sockets=full,
            false_alarms_ms=self._false_alarms(shed, now),
        )

    def devices_of(self, shed: str) -> list[str]:
        """The shed's devices in the cloud inventory (posts, extinguishers, sensors)."""
        q = select(devices.c.device).where(devices.c.shed == shed).order_by(devices.c.device)
        return [r.device for r in self.conn.execute(q)]

    def config_version(self, shed: str) -> int:
        """The newest config version the cloud holds for ``shed`` (0: none)."""
        q = select(func.max(shed_configs.c.version)).where(shed_configs.c.shed == shed)
        return int(self.conn.execute(q).scalar() or 0)

    def post_limit_w(self, shed: str) -> float | None:
        """The post limit of the shed's newest config, if the cloud holds one."""
        config = newest_config(self.conn, shed)
        return None if config is None else config.thresholds.post_limit_w

    def _full_owner(self, shed: str, device: str, socket: int, now: int) -> str | None:
        """The resident whose charging session on the socket ended ``full`` (the charging service reminds them
        to move the bike), if the newest ended session there did so within a day; None in an open shed."""
        row = self.conn.execute(
            select(charging_sessions.c.user_id, charging_sessions.c.end_reason, charging_sessions.c.ended_ms)
            .where(
                charging_sessions.c.shed == shed,
                charging_sessions.c.device == device,
                charging_sessions.c.socket == socket,
                charging_sessions.c.status == "ended",
            )
            .order_by(charging_sessions.c.requested_ms.desc())
            .limit(1)
        ).first()
        if row is None or row.end_reason != "full" or (row.ended_ms or 0) < now - OWNER_WITHIN_MS:
            return None
        return str(row.user_id)

    def lost_gaps_after(self, shed: str, position: int) -> tuple[int, list[LostGap]]:
        """Gaps of ``shed`` the cloud gave up on, announced in its feed after ``position``; and the feed's head.

        Reads only the feed rows past ``position`` (the primary key's range), so a caller that keeps the head
        reads each row once.
        """
        head = position
        found: list[LostGap] = []
        rows = self.conn.execute(
            select(feed.c.position, feed.c.kind, feed.c.body)
            .where(feed.c.shed == shed, feed.c.position > position)
            .order_by(feed.c.position)
        )
        for r in rows:
            head = int(r.position)
            if r.kind != "gap_detected":
                continue
            event = event_from_json(r.body)
            if isinstance(event, GapDetected) and event.lost:
                found.append(LostGap(event.first, event.last, event.received_at))
        return head, found

    def _false_alarms(self, shed: str, now: int) -> dict[str, tuple[int, ...]]:
        q = (
            select(alarms.c.body, incidents.c.body.label("incident_body"))
            # Every incident each alarm joined (not only its current one): each false classification counts.
            .select_from(
                alarms.join(
                    incident_alarms,
                    and_(incident_alarms.c.key == alarms.c.key, incident_alarms.c.instance == alarms.c.instance),
                ).join(incidents, incident_alarms.c.incident == incidents.c.id)
            )
            .where(alarms.c.shed == shed, incidents.c.resolved_ms >= now - 86_400_000)
        )
        found: dict[str, list[int]] = {}
        for r in self.conn.execute(q):
            if incident_from_json(r.incident_body).resolution is Resolution.FALSE:
                alarm = alarm_from_json(r.body)
                if alarm.key.device:
                    found.setdefault(alarm.key.device, []).append(alarm.raised_ms)
        return {d: tuple(sorted(v)) for d, v in found.items()}


def rows_by_status(conn: Connection, statuses: Sequence[str]) -> dict[str, int]:
    """How many alerts are in each of ``statuses`` (for health and tests)."""
    q = select(alerts.c.status, func.count()).where(alerts.c.status.in_(statuses)).group_by(alerts.c.status)
    return {r[0]: int(r[1]) for r in conn.execute(q)}
