"""The public availability of sheds, as GET /api/v1/availability lists it and the stream sends it.

Counts come from the live view, the ETA from the background estimates (cloud.eta.service); no personal data.
Encoded responses and their ETags are kept until either source changes (their ``version`` counters), so a busy
page or a resident's bot polling every few seconds costs a dict lookup, not a rebuild.
"""

from typing import Any

import orjson

from cloud.api.conditional import etag_of
from cloud.api.live import LiveView
from cloud.api.models import AvailabilityResponse, ShedAvailability
from cloud.core.live import Availability
from cloud.eta.service import EtaService

MAX_KEPT = 1024  # distinct (community, shed) filters kept per version


class AvailabilityView:
    """Availability objects and encoded responses."""

    def __init__(self, live: LiveView, eta: EtaService | None = None) -> None:
        self.live = live
        self.eta = eta
        self._kept: dict[tuple[str | None, str | None], tuple[bytes, str]] = {}
        self._kept_at = (-1, -1)

    def _model(self, a: Availability) -> ShedAvailability:
        found = self.eta.current().get(a.shed) if self.eta is not None else None
        return ShedAvailability.of(a, (found.next_free_s, found.at_ms) if found is not None else None)

    def one(self, shed: str) -> dict[str, Any] | None:
        """One shed's availability as JSON-ready data (None when never heard from)."""
        a = self.live.shed_availability(shed)
        return self._model(a).model_dump(mode="json") if a is not None else None

    def response(self, community: str | None, shed: str | None) -> bytes:
        """The encoded AvailabilityResponse of the sheds matching both filters (None: any)."""
        return self.tagged(community, shed)[0]

    def tagged(self, community: str | None, shed: str | None) -> tuple[bytes, str]:
        """``response`` and its ETag (cloud.api.conditional), both kept until the live state or ETAs move."""
        at = (self.live.version, self.eta.version if self.eta is not None else 0)  # read before building
        if at != self._kept_at:
            self._kept, self._kept_at = {}, at
        found = self._kept.get((community, shed))
        if found is None:
            sheds = [
                self._model(a)
                for a in self.live.availability()
                if (community is None or a.community == community) and (shed is None or a.shed == shed)
            ]
            body = orjson.dumps(AvailabilityResponse(sheds=sheds).model_dump(mode="json"))
            found = (body, etag_of(body))
            if len(self._kept) < MAX_KEPT:
                self._kept[(community, shed)] = found
        return found
