"""GET /api/v1/availability: public counts and the free-socket ETA per shed, filtered by community or shed."""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Response

from cloud.api.conditional import CACHE_CONTROL, not_modified
from cloud.api.deps import CloudDep
from cloud.api.models import AvailabilityResponse
from cloud.api.responses import errors
from protocol.ids import ID_PATTERN

router = APIRouter()


@router.get(
    "/api/v1/availability",
    response_model=AvailabilityResponse,
    responses={
        304: {"description": "not modified: the `If-None-Match` tag is the current `ETag`; no body"},
        **errors(e503="availability is not served by this process"),
    },
)
async def availability(
    cloud: CloudDep,
    community: Annotated[str | None, Query(max_length=100)] = None,
    shed: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """Free / charging / plugged / full / faulted sockets per shed and the estimated wait for a free one; no
    login, no personal data. Unknown filters give an empty list. Carries an `ETag` and
    `Cache-Control: public, max-age=1`; sent back in `If-None-Match`, an unchanged answer is 304 with no body."""
    if cloud.availability is None:
        raise HTTPException(status_code=503, detail="availability is not served by this process")
    # In-memory and cached (cloud.api.availability_view): answered on the event loop, no thread hop.
    body, etag = cloud.availability.tagged(community, shed)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if not_modified(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
