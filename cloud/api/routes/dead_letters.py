"""GET /api/v1/dead-letters."""

from typing import Annotated

from fastapi import APIRouter, Query

from cloud.api.deps import StateStoreDep
from cloud.api.models import DeadLetterOut

router = APIRouter()


@router.get("/api/v1/dead-letters")
def dead_letters(state: StateStoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeadLetterOut]:
    """The newest rejected messages first."""
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
