"""GET /api/v1/sheds/{shed}/cameras: the shed's camera links, from the inventory (``inventory.read`` in the shed's
community: the links are internal addresses, never public)."""

from typing import Annotated

from fastapi import APIRouter, Path

from cloud.api.deps import CloudDep
from cloud.api.models import CameraOut
from cloud.api.principal import PrincipalDep
from cloud.api.responses import errors
from cloud.api.scope import in_shed
from cloud.core.access.permissions import Action
from protocol.ids import ID_PATTERN

router = APIRouter()


@router.get("/api/v1/sheds/{shed}/cameras", responses=errors(401, 403, 404, 422))
def cameras(
    cloud: CloudDep, principal: PrincipalDep, shed: Annotated[str, Path(pattern=ID_PATTERN)]
) -> list[CameraOut]:
    """Camera links imported with the shed (empty when none); 401 anonymous, 403 outside the caller's
    communities (or a shed the cloud does not know), 404 an unknown shed for a deployment-wide admin."""
    in_shed(cloud, principal, Action.INVENTORY_READ, shed)
    return [CameraOut(id=c.id, name=c.name, url=c.url, posts=list(c.posts)) for c in cloud.stores.state.cameras(shed)]
