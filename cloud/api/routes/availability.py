"""GET /api/v1/availability: public counts and the free-socket ETA per shed, filtered by community or shed."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from cloud.api.deps import CloudDep
from cloud.api.models import AvailabilityResponse
from cloud.api.responses import errors
from protocol.ids import ID_PATTERN

router = APIRouter()


@router.get(
    "/api/v1/availability",
    response_model=AvailabilityResponse,
    responses=errors(e503="availability is not served by this process"),
)
async def availability(
    cloud: CloudDep,
    community: Annotated[str | None, Query(max_length=100)] = None,
    shed: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> Response:
    """Free / charging / plugged / full / faulted sockets per shed and the estimated wait for a free one; no
    login, no personal data. Unknown filters give an empty list."""
    if cloud.availability is None:
        raise HTTPException(status_code=503, detail="availability is not served by this process")
    # In-memory and cached (cloud.api.availability_view): answered on the event loop, no thread hop.
    return Response(cloud.availability.response(community, shed), media_type="application/json")
