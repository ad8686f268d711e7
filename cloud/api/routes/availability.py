"""GET /api/v1/availability."""

from fastapi import APIRouter

from cloud.api.deps import LiveDep
from cloud.api.models import AvailabilityResponse, ShedAvailability

router = APIRouter()


@router.get("/api/v1/availability")
def availability(live: LiveDep) -> AvailabilityResponse:
    """Free / charging / plugged / full / faulted sockets per shed."""
    return AvailabilityResponse(sheds=[ShedAvailability.of(a) for a in live.availability()])
