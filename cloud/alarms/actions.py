"""Staff actions on incidents and alarms (command line, signed links, later the API), each one transaction.

Every action is checked by the pure core, written with who did it and from which device, and appears in the
incident's timeline and the alarms' audit trail. A refused action raises ActionRefused with the core's reason.
"""

from cloud.alarms.names import display_name
from cloud.alarms.repo import AlarmRepo
from cloud.alarms.service import AlarmService
from cloud.core.alarms.incidents import Incident, Resolution, acknowledge, arrive, resolve
from cloud.core.alarms.inputs import Acknowledge, Actor, Assign, OutOfService, Shelve, StaffAction, Suppress, Unshelve
from cloud.core.alarms.lifecycle import decide
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.errors import CloudError
from cloud.state.staff_rows import alarm_by_id, latest_alarm_id, shed_inventory


class ActionRefused(CloudError):
    """A staff action the lifecycle or the incident refused (the message says why)."""


class NothingToActOn(ActionRefused):
    """The incident or alarm named does not exist."""


def _incident(repo: AlarmRepo, incident_id: str) -> Incident:
    found = repo.incident(incident_id, lock=True)
    if found is None:
        raise NothingToActOn(f"no incident {incident_id!r}")
    return found


def act_on_alarm(service: AlarmService, alarm_id: int, inp: StaffAction, now: int) -> Alarm:
    """Apply one staff input (acknowledge, silence, shelve, unshelve, assign, comment, ...) to the stored alarm
    instance ``alarm_id``; the alarm after it. Refused with the lifecycle's reason, or when a newer instance
    of the same condition exists (act on that one)."""
    with service.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=service.sqlite)
        row = alarm_by_id(conn, alarm_id)
        if row is None:
            raise NothingToActOn(f"no alarm {alarm_id}")
        latest = repo.latest_alarm(row.alarm.key)
        if latest is not None and latest[0].instance != row.alarm.instance:
            raise ActionRefused(f"a newer instance ({latest[0].instance}) of {row.alarm.key} exists: act on it")
        refused = decide(row.alarm, inp, now, service.policy).refused
        if refused:
            raise ActionRefused(refused)
        after = service.apply(repo, inp, now, alarm=row.alarm)
        assert after is not None  # decide accepted it
        return after


def comment_incident(service: AlarmService, incident_id: str, text: str, actor: Actor, now: int) -> None:
    """A note on the incident's timeline (kind ``comment``)."""
    if not text.strip():
        raise ActionRefused("empty comment")
    with service.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=service.sqlite)
        _incident(repo, incident_id)
        repo.note(incident_id, "comment", now, actor=actor.who, device=actor.device, detail=text)


def assign_incident(service: AlarmService, incident_id: str, assignee: str, actor: Actor, now: int) -> None:
    """Make ``assignee`` responsible for the open incident and each of its open alarms (timeline ``assigned``)."""
    with service.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=service.sqlite)
        if not _incident(repo, incident_id).open:
            raise ActionRefused("incident resolved")
        if repo.last_detail(incident_id, "assigned") == assignee:
            return  # already responsible: answered as done, nothing written twice
        repo.note(incident_id, "assigned", now, actor=actor.who, device=actor.device, detail=assignee)
        for alarm, _ in repo.open_alarms(incident=incident_id):
            service.apply(repo, Assign(actor, assignee), now, alarm=alarm)


def _accept(service: AlarmService, repo: AlarmRepo, incident_id: str, actor: Actor, now: int) -> None:
    """What accepting an incident does, however it is accepted (acknowledge, or arriving on site first): the
    timeline line and the acknowledgement of each of its unacknowledged alarms (fire included)."""
    repo.note(incident_id, "acknowledged", now, actor=actor.who, device=actor.device)
    for alarm, _ in repo.open_alarms(incident=incident_id):
        if alarm.state in (Lifecycle.UNACK, Lifecycle.RTN_UNACK):
            service.apply(repo, Acknowledge(actor), now, alarm=alarm)


def ack_incident(service: AlarmService, incident_id: str, actor: Actor, now: int) -> Incident:
    """Accept the incident (the 3-minute clock) and acknowledge its unacknowledged alarms."""
    with service.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=service.sqlite)
        name = display_name(conn, service.config, actor.who)
        after = acknowledge(_incident(repo, incident_id), actor.who, now, name)
        if isinstance(after, str):
            raise ActionRefused(after)
        repo.save_incident(after)
        _accept(service, repo, incident_id, actor, now)
        return after


def onsite_incident(service: AlarmService, incident_id: str, actor: Actor, now: int) -> Incident:
    """Staff arrived (the 10-minute clock); accepts the incident too if nobody had, as ``ack_incident`` would."""
    with service.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=service.sqlite)
        before = _incident(repo, incident_id)
        after = arrive(before, actor.who, now, display_name(conn, service.config, actor.who))
        if isinstance(after, str):
            raise ActionRefused(after)
        repo.save_incident(after)
        if before.acked_ms is None:
            _accept(service, repo, incident_id, actor, now)
        repo.note(incident_id, "on_site", now, actor=actor.who, device=actor.device)
        return after


def resolve_incident(
    service: AlarmService, incident_id: str, resolution: Resolution, note: str, actor: Actor, now: int
) -> Incident:
    """Close the incident with its classification and a note; tells everyone alerted."""
    with service.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=service.sqlite)
        after = resolve(_incident(repo, incident_id), resolution, note, now)
        if isinstance(after, str):
            raise ActionRefused(after)
        repo.save_incident(after)
        repo.note(incident_id, "resolved", now, actor=actor.who, device=actor.device, detail=f"{resolution}: {note}")
        service.send_resolved(repo, after, now)
        return after


def alarm_id_of(service: AlarmService, key: AlarmKey) -> int:
    """The stored id of the newest instance of ``key`` (what the API's alarm routes name)."""
    with service.engine.connect() as conn:
        found = latest_alarm_id(conn, key)
    if found is None:
        raise NothingToActOn(f"no alarm {key}")
    return found


def shelve_alarm(service: AlarmService, key: AlarmKey, duration_s: float, reason: str, actor: Actor, now: int) -> Alarm:
    """Shelve the newest alarm of ``key`` for ``duration_s`` (0: unshelve): the API's path (act_on_alarm), so a
    refusal says the lifecycle's reason, as the API's 409 does."""
    inp = Unshelve(actor) if duration_s == 0 else Shelve(actor, int(duration_s * 1000), reason)
    return act_on_alarm(service, alarm_id_of(service, key), inp, now)


def hide_source(service: AlarmService, key: AlarmKey, inp: Suppress | OutOfService, now: int) -> Alarm:
    """Suppress ``key``'s source for maintenance, or take it out of service, or undo either. It acts on the
    newest instance, open or closed: both belong to the source and carry over to the next instance."""
    with service.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=service.sqlite)
        found = repo.latest_alarm(key)
        if found is None:
            raise NothingToActOn(f"no alarm {key} has ever been raised")
        refused = decide(found[0], inp, now, service.policy).refused
        if refused:
            raise ActionRefused(refused)
        after = service.apply(repo, inp, now, alarm=found[0])
        assert after is not None  # decide accepted it
        return after


def record_inspection(service: AlarmService, shed: str, device: str, note: str, actor: Actor, now: int) -> None:
    """Record an extinguisher inspection by staff (clears an overdue inspection at the next rules pass)."""
    with service.engine.begin() as conn:
        inspect_in(AlarmRepo(conn, sqlite=service.sqlite), shed, device, note, actor.who, now)


def inspection_detail(note: str) -> str:
    """The audit detail of an inspection: ``inspected`` and the note when there is one (no dangling colon: a
    refusal adds ``: REASON`` after it)."""
    return f"inspected: {note}" if note.strip() else "inspected"


def inspect_in(repo: AlarmRepo, shed: str, device: str, note: str, who: str, now: int) -> None:
    """Record the inspection in ``repo``'s transaction: refused (NothingToActOn) unless ``device`` is one of the
    shed's extinguishers in the cloud inventory. The API and the command line both check here."""
    inv = shed_inventory(repo.conn, shed)
    if inv is None or (device, "extinguisher") not in inv.devices:
        raise NothingToActOn(f"shed {shed} has no extinguisher {device}")
    repo.record_inspection(shed, device, now, who, note)
