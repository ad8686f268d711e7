"""Downsampled history for staff, per shed device and per socket (``history.read`` in the shed's community)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cloud.api.deps import CloudDep
from cloud.api.models import HistoryResponse
from cloud.api.principal import PrincipalDep
from cloud.api.responses import STAFF_ERRORS
from cloud.api.routes.history import MAX_POINTS, read_series
from cloud.api.scope import in_shed
from cloud.core.access.permissions import Action
from cloud.telemetry.base import Resolution, SeriesKey
from protocol.envelope import EPOCH_MS_MAX
from protocol.ids import ID_PATTERN
from protocol.uplink import FIELD_PATTERN

router = APIRouter(tags=["staff: history"], responses=STAFF_ERRORS)
ShedId = Annotated[str, Path(pattern=ID_PATTERN)]
From = Annotated[
    int | None, Query(alias="from", ge=0, le=EPOCH_MS_MAX, description="epoch ms, inclusive (default: to - 1 h)")
]
To = Annotated[int | None, Query(alias="to", ge=1, le=EPOCH_MS_MAX, description="epoch ms, exclusive (default: now)")]
Points = Annotated[int, Query(ge=1, le=MAX_POINTS)]


@router.get("/api/v1/sheds/{shed}/history")
def shed_history(
    cloud: CloudDep,
    principal: PrincipalDep,
    shed: ShedId,
    device: Annotated[str, Query(pattern=ID_PATTERN)],
    field: Annotated[str, Query(pattern=FIELD_PATTERN)],
    start: From = None,
    end: To = None,
    resolution: Resolution | None = None,
    max_points: Points = 500,
) -> HistoryResponse:
    """A device-level series of the shed (a sensor's ``temp_c``, a post's total ``power_w``, ...)."""
    in_shed(cloud, principal, Action.HISTORY_READ, shed)
    key = SeriesKey(shed, device, field, None)
    return read_series(cloud.stores.telemetry, cloud.clock, key, start, end, resolution, max_points)


@router.get("/api/v1/sheds/{shed}/sockets/{device}/{socket}/history")
def socket_history(
    cloud: CloudDep,
    principal: PrincipalDep,
    shed: ShedId,
    device: Annotated[str, Path(pattern=ID_PATTERN)],
    socket: Annotated[int, Path(ge=1, le=64)],
    field: Annotated[str, Query(pattern=FIELD_PATTERN)] = "power_w",
    start: From = None,
    end: To = None,
    resolution: Resolution | None = None,
    max_points: Points = 500,
) -> HistoryResponse:
    """One socket's series (``power_w`` by default; ``temp_c``, ``current_a``, ``energy_wh``, ...)."""
    in_shed(cloud, principal, Action.HISTORY_READ, shed)
    key = SeriesKey(shed, device, field, socket)
    return read_series(cloud.stores.telemetry, cloud.clock, key, start, end, resolution, max_points)
