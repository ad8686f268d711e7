"""GET /api/v1/dead-letters."""

from typing import Annotated

from fastapi import APIRouter, Query

from cloud.api.deps import StateStoreDep
from cloud.api.models import DeadLetterOut
from cloud.api.principal import PrincipalDep, require
from cloud.api.responses import STAFF_ERRORS
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action

router = APIRouter()


@router.get("/api/v1/dead-letters", responses=STAFF_ERRORS)
def dead_letters(
    state: StateStoreDep, principal: PrincipalDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[DeadLetterOut]:
    """The newest rejected messages first.

    A deployment-wide admin only: a rejected message may come from any shed, or from no known one, and its
    payload preview is whatever was sent.
    """
    require(principal, Action.INVENTORY_READ, Resource(None))
    return [
        DeadLetterOut(
            id=d.id,
            received_ms=d.received_ms,
            topic=d.topic,
            reason=d.reason,
            detail=d.detail,
            payload_preview=d.payload[:200].decode("utf-8", "replace"),
        )
        for d in state.dead_letters(limit)
    ]
