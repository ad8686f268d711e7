"""The public availability object of one shed, as GET /api/v1/availability lists it and the stream sends it."""

from collections.abc import Callable
from typing import Any

from cloud.api.live import LiveView
from cloud.api.models import ShedAvailability


def availability_of(live: LiveView) -> Callable[[str], dict[str, Any] | None]:
    """A function: shed id -> its availability as JSON-ready data (None when never heard from)."""

    def one(shed: str) -> dict[str, Any] | None:
        a = live.shed_availability(shed)
        return ShedAvailability.of(a).model_dump(mode="json") if a is not None else None

    return one
