"""Staff incident routes: list, one incident with its timeline and service clocks, and the responder actions.

Reads need ``incident.read``; acknowledge (accept), on site, resolve and comment ``incident.respond``; assign
``alarm.assign``; each in the incident's shed's community. A refused action is 409 with the reason.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request

from cloud.alarms import actions
from cloud.alarms.names import named
from cloud.alarms.repo import AlarmRepo
from cloud.alarms.service import AlarmService
from cloud.api.alarm_config import current
from cloud.api.deps import CloudDep, CloudState
from cloud.api.models_alarms import (
    AlarmOut,
    AssignIn,
    CommentIn,
    IncidentDetail,
    IncidentItem,
    IncidentList,
    IncidentOut,
    ResolveIn,
    TimelineOut,
)
from cloud.api.principal import PrincipalDep
from cloud.api.responses import STAFF_ERRORS
from cloud.api.routes.alarms import alarm_runner, refusals
from cloud.api.scope import actor, audited, in_shed, visible
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Principal
from cloud.core.alarms.clocks import clocks
from cloud.core.alarms.incidents import Incident
from cloud.core.alarms.inputs import Actor
from cloud.state import staff_rows
from protocol.envelope import EPOCH_MS_MAX
from protocol.ids import ID_PATTERN

router = APIRouter(tags=["staff: incidents"], responses=STAFF_ERRORS)
IncidentId = Annotated[str, Path(pattern=ID_PATTERN)]


def _incident(cloud: CloudState, incident_id: str) -> Incident | None:
    with cloud.stores.state.engine.connect() as conn:
        return AlarmRepo(conn, sqlite=cloud.stores.state.is_sqlite).incident(incident_id)


def _authorized(
    cloud: CloudState, principal: Principal | None, action: Action, incident_id: str
) -> tuple[Principal, str | None]:
    found = _incident(cloud, incident_id)
    missing = f"no incident {incident_id}"
    user, community = in_shed(cloud, principal, action, found.shed if found else "", f"incident {incident_id}", missing)
    if found is None:
        raise HTTPException(404, missing)
    return user, community


@router.get("/api/v1/incidents")
def list_incidents(
    cloud: CloudDep,
    principal: PrincipalDep,
    open_only: Annotated[bool, Query(alias="open")] = False,
    shed: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    since: Annotated[int | None, Query(ge=0, le=EPOCH_MS_MAX, description="opened at or after, epoch ms")] = None,
    limit: Annotated[int, Query(ge=1, le=staff_rows.MAX_ROWS)] = 200,
) -> IncidentList:
    """Incidents of the caller's communities, newest first."""
    communities = visible(principal, Action.INCIDENT_READ)
    if shed is not None:
        in_shed(cloud, principal, Action.INCIDENT_READ, shed)
    config = current(cloud)
    now = cloud.clock.now_ms()
    with cloud.stores.state.engine.connect() as conn:
        found = staff_rows.incident_list(conn, communities, shed=shed, open_only=open_only, since_ms=since, limit=limit)
        community = {s: staff_rows.shed_community(conn, s) or "default" for s in {i.shed for i in found}}
    promise = {s: config.community_of(c).promise() for s, c in community.items()}
    return IncidentList(incidents=[IncidentItem.of(i, clocks(i, now, promise[i.shed])) for i in found])


@router.get("/api/v1/incidents/{incident_id}")
def get_incident(cloud: CloudDep, principal: PrincipalDep, incident_id: IncidentId) -> IncidentDetail:
    """The incident, its service clocks (by its community's promise), timeline, alarms and camera links."""
    _authorized(cloud, principal, Action.INCIDENT_READ, incident_id)
    store = cloud.stores.state
    config = current(cloud)
    with store.engine.connect() as conn:
        repo = AlarmRepo(conn, sqlite=store.is_sqlite)
        incident = repo.incident(incident_id)
        assert incident is not None  # incidents are never deleted
        timeline = named(conn, config, repo.timeline(incident))
        community = staff_rows.shed_community(conn, incident.shed) or "default"
        alarm_rows = staff_rows.incident_alarms(conn, incident_id)
        cameras = cloud.alarms.service.cameras(repo, incident.shed) if cloud.alarms else repo.camera_urls(incident.shed)
    promise = config.community_of(community).promise()
    return IncidentDetail(
        **IncidentItem.of(incident, clocks(incident, cloud.clock.now_ms(), promise)).model_dump(),
        timeline=[TimelineOut.model_validate(e) for e in timeline],
        alarm_list=[AlarmOut.of(r) for r in alarm_rows],
        cameras=list(cameras),
    )


def _run(
    cloud: CloudState,
    principal: Principal | None,
    request: Request,
    permission: Action,
    incident_id: str,
    what: str,
    act: Callable[[AlarmService, Actor, int], object],
) -> IncidentOut:
    user, community = _authorized(cloud, principal, permission, incident_id)
    runner = alarm_runner(cloud)
    who = actor(user, request)
    audited(
        cloud,
        user,
        permission,
        f"incident {incident_id}",
        what,
        lambda: refusals(lambda: act(runner.service, who, cloud.clock.now_ms())),
        community=community,
        request=request,
    )
    runner.wake()
    after = _incident(cloud, incident_id)
    assert after is not None
    return IncidentOut.model_validate(after)


@router.post("/api/v1/incidents/{incident_id}/acknowledge")
def acknowledge(cloud: CloudDep, principal: PrincipalDep, request: Request, incident_id: IncidentId) -> IncidentOut:
    """Accept the incident (stops the accept clock) and acknowledge its unacknowledged alarms."""
    return _run(
        cloud,
        principal,
        request,
        Action.INCIDENT_RESPOND,
        incident_id,
        "acknowledge",
        lambda svc, who, now: actions.ack_incident(svc, incident_id, who, now),
    )


@router.post("/api/v1/incidents/{incident_id}/on-site")
def on_site(cloud: CloudDep, principal: PrincipalDep, request: Request, incident_id: IncidentId) -> IncidentOut:
    """The caller is at the shed (stops the on-site clock; accepts too if nobody had)."""
    return _run(
        cloud,
        principal,
        request,
        Action.INCIDENT_RESPOND,
        incident_id,
        "on site",
        lambda svc, who, now: actions.onsite_incident(svc, incident_id, who, now),
    )


@router.post("/api/v1/incidents/{incident_id}/resolve")
def resolve(
    cloud: CloudDep, principal: PrincipalDep, request: Request, incident_id: IncidentId, body: ResolveIn
) -> IncidentOut:
    """Close the incident as real, false, test or device_fault, with a note; everyone alerted is told."""
    return _run(
        cloud,
        principal,
        request,
        Action.INCIDENT_RESPOND,
        incident_id,
        f"resolve as {body.classification.value}: {body.note}",
        lambda svc, who, now: actions.resolve_incident(svc, incident_id, body.classification, body.note, who, now),
    )


@router.post("/api/v1/incidents/{incident_id}/comment")
def comment(
    cloud: CloudDep, principal: PrincipalDep, request: Request, incident_id: IncidentId, body: CommentIn
) -> IncidentOut:
    """A note on the timeline (kind ``comment``)."""
    return _run(
        cloud,
        principal,
        request,
        Action.INCIDENT_RESPOND,
        incident_id,
        "comment",
        lambda svc, who, now: actions.comment_incident(svc, incident_id, body.text, who, now),
    )


@router.post("/api/v1/incidents/{incident_id}/assign")
def assign(
    cloud: CloudDep, principal: PrincipalDep, request: Request, incident_id: IncidentId, body: AssignIn
) -> IncidentOut:
    """Make someone responsible for the open incident and each of its open alarms (timeline ``assigned``)."""
    return _run(
        cloud,
        principal,
        request,
        Action.ALARM_ASSIGN,
        incident_id,
        f"assign {body.assignee}",
        lambda svc, who, now: actions.assign_incident(svc, incident_id, body.assignee, who, now),
    )
