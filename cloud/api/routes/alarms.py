"""Staff alarm routes: list, one alarm with its audit, and the ISA-18.2 operator actions.

Reads need ``alarm.read``; acknowledge and comment ``alarm.respond``; assign ``alarm.assign``; shelve,
unshelve and silence ``alarm.shelve`` (ISA-18.2 keeps them under administrative control), each in the alarm's
shed's community. Actions run through cloud.alarms.actions (the pure lifecycle decides); a refused action is
409 with the lifecycle's reason. Actions need the alarm service in this process (503 otherwise).
"""

from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query, Request

from cloud.alarms.actions import ActionRefused, NothingToActOn, act_on_alarm
from cloud.alarms.runner import AlarmRunner
from cloud.api.deps import CloudDep, CloudState
from cloud.api.models_alarms import AlarmDetail, AlarmList, AlarmOut, AssignIn, AuditOut, CommentIn, ShelveIn
from cloud.api.principal import PrincipalDep
from cloud.api.responses import STAFF_ERRORS
from cloud.api.scope import actor, audited, in_shed, visible
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Principal
from cloud.core.alarms.inputs import Acknowledge, Actor, Assign, Comment, Shelve, Silence, StaffAction, Unshelve
from cloud.core.alarms.model import Lifecycle
from cloud.state import staff_rows
from protocol.envelope import EPOCH_MS_MAX
from protocol.ids import ID_PATTERN
from protocol.uplink import AlarmClass

router = APIRouter(tags=["staff: alarms"], responses=STAFF_ERRORS)
T = TypeVar("T")
AlarmId = Annotated[int, Path(ge=1, le=2**62)]


def _row(cloud: CloudState, alarm_id: int) -> staff_rows.AlarmRow | None:
    with cloud.stores.state.engine.connect() as conn:
        return staff_rows.alarm_by_id(conn, alarm_id)


def _authorized_row(
    cloud: CloudState, principal: Principal | None, action: Action, alarm_id: int
) -> tuple[Principal, str | None, staff_rows.AlarmRow]:
    """The caller and the alarm; an unknown alarm is 403 to all but a deployment-wide admin (404), like sheds."""
    row = _row(cloud, alarm_id)
    missing = f"no alarm {alarm_id}"
    user, community = in_shed(cloud, principal, action, row.alarm.key.shed if row else "", f"alarm {alarm_id}", missing)
    if row is None:
        raise HTTPException(404, missing)
    return user, community, row


@router.get("/api/v1/alarms")
def list_alarms(
    cloud: CloudDep,
    principal: PrincipalDep,
    state: Annotated[Lifecycle | Literal["open"] | None, Query(description="a state, or open (any but normal)")] = None,
    shed: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    alarm_class: Annotated[AlarmClass | None, Query(alias="class")] = None,
    since: Annotated[int | None, Query(ge=0, le=EPOCH_MS_MAX, description="changed at or after, epoch ms")] = None,
    limit: Annotated[int, Query(ge=1, le=staff_rows.MAX_ROWS)] = 200,
) -> AlarmList:
    """Alarms of the caller's communities, newest change first."""
    communities = visible(principal, Action.ALARM_READ)
    if shed is not None:
        in_shed(cloud, principal, Action.ALARM_READ, shed)
    with cloud.stores.state.engine.connect() as conn:
        rows = staff_rows.alarm_list(
            conn,
            communities,
            shed=shed,
            state=state,
            since_ms=since,
            alarm_class=alarm_class.value if alarm_class else None,
            limit=limit,
        )
    return AlarmList(alarms=[AlarmOut.of(r) for r in rows])


@router.get("/api/v1/alarms/{alarm_id:int}")
def get_alarm(cloud: CloudDep, principal: PrincipalDep, alarm_id: AlarmId) -> AlarmDetail:
    """One alarm instance with its audit trail."""
    _, _, row = _authorized_row(cloud, principal, Action.ALARM_READ, alarm_id)
    with cloud.stores.state.engine.connect() as conn:
        audit = staff_rows.audit_of(conn, row.alarm)
    return AlarmDetail(**AlarmOut.of(row).model_dump(), audit=[AuditOut.model_validate(a) for a in audit])


def alarm_runner(cloud: CloudState) -> AlarmRunner:
    """This process's alarm runner; 503 when the alarm service is off here."""
    if cloud.alarms is None:
        raise HTTPException(503, "the alarm service is off in this process")
    return cloud.alarms


def refusals(act: Callable[[], T]) -> T:
    """Run a staff action: 404 for nothing to act on, 409 with the reason for a refusal."""
    try:
        return act()
    except NothingToActOn as exc:
        raise HTTPException(404, str(exc)) from None
    except ActionRefused as exc:
        raise HTTPException(409, str(exc)) from None


def _run(
    cloud: CloudState,
    principal: Principal | None,
    request: Request,
    permission: Action,
    alarm_id: int,
    what: str,
    make: Callable[[Actor], StaffAction],
) -> AlarmOut:
    user, community, _ = _authorized_row(cloud, principal, permission, alarm_id)
    runner = alarm_runner(cloud)
    inp = make(actor(user, request))
    audited(
        cloud,
        user,
        permission,
        f"alarm {alarm_id}",
        what,
        lambda: refusals(lambda: act_on_alarm(runner.service, alarm_id, inp, cloud.clock.now_ms())),
        community=community,
        request=request,
    )
    runner.wake()
    row = _row(cloud, alarm_id)
    assert row is not None  # alarms are never deleted
    return AlarmOut.of(row)


@router.post("/api/v1/alarms/{alarm_id:int}/acknowledge")
def acknowledge(cloud: CloudDep, principal: PrincipalDep, request: Request, alarm_id: AlarmId) -> AlarmOut:
    """Acknowledge (also silences); an alarm back to normal but unacknowledged closes."""
    return _run(cloud, principal, request, Action.ALARM_RESPOND, alarm_id, "acknowledge", Acknowledge)


@router.post("/api/v1/alarms/{alarm_id:int}/silence")
def silence(cloud: CloudDep, principal: PrincipalDep, request: Request, alarm_id: AlarmId) -> AlarmOut:
    """Stop the sound only; the alarm stays unacknowledged."""
    return _run(cloud, principal, request, Action.ALARM_SHELVE, alarm_id, "silence", Silence)


@router.post("/api/v1/alarms/{alarm_id:int}/shelve")
def shelve(cloud: CloudDep, principal: PrincipalDep, request: Request, alarm_id: AlarmId, body: ShelveIn) -> AlarmOut:
    """Hide the open alarm for ``duration_s`` (at most 8 h) with a reason; never fire or pre-fire (409)."""
    return _run(
        cloud,
        principal,
        request,
        Action.ALARM_SHELVE,
        alarm_id,
        f"shelve {body.duration_s:g} s: {body.reason}",
        lambda who: Shelve(who, int(body.duration_s * 1000), body.reason),
    )


@router.post("/api/v1/alarms/{alarm_id:int}/unshelve")
def unshelve(cloud: CloudDep, principal: PrincipalDep, request: Request, alarm_id: AlarmId) -> AlarmOut:
    """End a shelve early."""
    return _run(cloud, principal, request, Action.ALARM_SHELVE, alarm_id, "unshelve", Unshelve)


@router.post("/api/v1/alarms/{alarm_id:int}/assign")
def assign(cloud: CloudDep, principal: PrincipalDep, request: Request, alarm_id: AlarmId, body: AssignIn) -> AlarmOut:
    """Make someone responsible for the alarm."""
    return _run(
        cloud,
        principal,
        request,
        Action.ALARM_ASSIGN,
        alarm_id,
        f"assign {body.assignee}",
        lambda who: Assign(who, body.assignee),
    )


@router.post("/api/v1/alarms/{alarm_id:int}/comment")
def comment(cloud: CloudDep, principal: PrincipalDep, request: Request, alarm_id: AlarmId, body: CommentIn) -> AlarmOut:
    """A note in the alarm's audit trail."""
    return _run(
        cloud, principal, request, Action.ALARM_RESPOND, alarm_id, "comment", lambda who: Comment(who, body.text)
    )
