"""GET /api/v1/sheds and /api/v1/sheds/{shed}: the staff's live inventory (``inventory.read``)."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from cloud.api.deps import CloudDep
from cloud.api.models_inventory import ShedDetail, ShedList
from cloud.api.principal import PrincipalDep, require
from cloud.api.responses import STAFF_ERRORS
from cloud.api.scope import visible
from cloud.api.shed_detail import summary
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.state import staff_rows
from protocol.ids import ID_PATTERN

router = APIRouter(tags=["staff: inventory"], responses=STAFF_ERRORS)


@router.get("/api/v1/sheds")
def list_sheds(cloud: CloudDep, principal: PrincipalDep) -> ShedList:
    """The sheds of the caller's communities with their edge's link and config versions."""
    communities = visible(principal, Action.INVENTORY_READ)
    with cloud.stores.state.engine.connect() as conn:
        rows = staff_rows.shed_list(conn, communities)
    return ShedList(sheds=[summary(r, cloud.live.shed(r.shed)) for r in rows])


@router.get("/api/v1/sheds/{shed}", response_model=ShedDetail)
async def shed_detail(
    cloud: CloudDep, principal: PrincipalDep, shed: Annotated[str, Path(pattern=ID_PATTERN)]
) -> Response:
    """One shed: posts with every socket's live status and newest readings, and its other devices.

    Live status at once; the inventory, inspections and readings as read at most two seconds ago (by default;
    cloud.api.shed_views)."""
    if cloud.shed_views is None:
        raise HTTPException(503, "shed views are not served by this process")
    view = await cloud.shed_views.get(shed)
    # As cloud.api.scope.in_shed, on every request: a shed outside the inventory belongs to no community (only a
    # deployment-wide admin passes, and gets 404), so the answer never tells another community's sheds apart.
    require(principal, Action.INVENTORY_READ, Resource(view.community), target=shed)
    if view.body is None:
        raise HTTPException(404, f"no shed {shed}")
    return Response(view.body, media_type="application/json")
