"""Extinguisher inspections of a shed: list (``inspection.read``) and record (``inspection.record``).

Recording one clears an ``inspection_overdue`` alarm at the alarm service's next rules pass (docs/alarms.md).
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request

from cloud.alarms.actions import NothingToActOn, inspect_in, inspection_detail
from cloud.alarms.repo import AlarmRepo
from cloud.api.deps import CloudDep
from cloud.api.models_alarms import InspectionIn, InspectionList, InspectionOut
from cloud.api.principal import PrincipalDep
from cloud.api.responses import STAFF_ERRORS
from cloud.api.scope import audited, in_shed
from cloud.core.access.permissions import Action
from cloud.state import staff_rows
from protocol.envelope import EPOCH_MS_MAX
from protocol.ids import ID_PATTERN

router = APIRouter(tags=["staff: inspections"], responses=STAFF_ERRORS)
ShedId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.get("/api/v1/sheds/{shed}/inspections")
def list_inspections(
    cloud: CloudDep,
    principal: PrincipalDep,
    shed: ShedId,
    since: Annotated[int | None, Query(ge=0, le=EPOCH_MS_MAX, description="at or after, epoch ms")] = None,
    limit: Annotated[int, Query(ge=1, le=staff_rows.MAX_ROWS)] = 200,
) -> InspectionList:
    """Inspections recorded in the shed, newest first."""
    in_shed(cloud, principal, Action.INSPECTION_READ, shed)
    with cloud.stores.state.engine.connect() as conn:
        rows = staff_rows.inspection_list(conn, shed, since_ms=since, limit=limit)
    return InspectionList(inspections=[InspectionOut.model_validate(r) for r in rows])


@router.post("/api/v1/sheds/{shed}/inspections", status_code=201)
def record_inspection(
    cloud: CloudDep, principal: PrincipalDep, request: Request, shed: ShedId, body: InspectionIn
) -> InspectionOut:
    """Record that the caller inspected one of the shed's extinguishers now; 404 when the shed has no such one."""
    user, community = in_shed(cloud, principal, Action.INSPECTION_RECORD, shed, f"{shed}/{body.device}")
    store = cloud.stores.state

    def record() -> InspectionOut:
        now = cloud.clock.now_ms()
        with store.engine.begin() as conn:
            try:
                inspect_in(AlarmRepo(conn, sqlite=store.is_sqlite), shed, body.device, body.note, user.user_id, now)
            except NothingToActOn as exc:
                raise HTTPException(404, str(exc)) from exc
            # In the same transaction: the row just written is the newest of the shed.
            return InspectionOut.model_validate(staff_rows.inspection_list(conn, shed, limit=1)[0])

    target, detail = f"{shed}/{body.device}", inspection_detail(body.note)
    out = audited(cloud, user, Action.INSPECTION_RECORD, target, detail, record, community=community, request=request)
    if cloud.shed_views is not None:
        cloud.shed_views.forget(shed)  # the shed's view shows the newest inspection of each extinguisher
    if cloud.alarms is not None:
        cloud.alarms.wake()
    return out
