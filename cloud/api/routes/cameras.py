"""GET /api/v1/sheds/{shed}/cameras: the shed's camera links, from the inventory."""

from typing import Annotated

from fastapi import APIRouter, Path

from cloud.api.deps import StateStoreDep
from cloud.api.models import CameraOut
from protocol.ids import ID_PATTERN

router = APIRouter()


@router.get("/api/v1/sheds/{shed}/cameras")
def cameras(state: StateStoreDep, shed: Annotated[str, Path(pattern=ID_PATTERN)]) -> list[CameraOut]:
    """Camera links imported with the shed (empty when none)."""
    return [CameraOut(id=c.id, name=c.name, url=c.url, posts=list(c.posts)) for c in state.cameras(shed)]
