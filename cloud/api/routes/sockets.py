"""GET /api/v1/sheds/{shed}/sockets/{device}/{socket}: one socket's live state (``inventory.read`` in the shed's
community: which socket is in use, and since when, is staff information; the public sees per-shed counts only,
GET /api/v1/availability)."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from cloud.api.deps import CloudDep
from cloud.api.models import SocketLiveResponse
from cloud.api.principal import PrincipalDep
from cloud.api.responses import errors
from cloud.api.scope import in_community, shed_community
from cloud.core.access.permissions import Action
from protocol.ids import ID_PATTERN

router = APIRouter()


@router.get(
    "/api/v1/sheds/{shed}/sockets/{device}/{socket}",
    responses=errors(401, 403, 422, e404="the cloud never heard of this socket"),
)
def socket_live(
    cloud: CloudDep,
    principal: PrincipalDep,
    shed: Annotated[str, Path(pattern=ID_PATTERN)],
    device: Annotated[str, Path(pattern=ID_PATTERN)],
    socket: Annotated[int, Path(ge=1, le=64)],
) -> SocketLiveResponse:
    """The socket's status as the edge last reported it; 401 anonymous, 403 outside the caller's communities (a
    shed heard from but never imported: a deployment-wide admin only), 404 when the cloud never heard of it."""
    # A plain def: the permission check reads the inventory (a database query), so it runs in a worker thread.
    in_community(cloud, principal, Action.INVENTORY_READ, shed_community(cloud, shed), shed)
    found = cloud.live.socket(shed, device, socket)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no live state for {shed}/{device}/{socket}")
    state, online = found
    return SocketLiveResponse.of(shed, device, socket, state, online)
