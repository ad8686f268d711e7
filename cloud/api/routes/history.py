"""GET /api/v1/history."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from cloud.api.deps import ClockDep, TelemetryDep
from cloud.api.models import HistoryPoint, HistoryResponse
from cloud.history import downsample, pick_resolution
from cloud.telemetry.base import Resolution, SeriesKey
from protocol.ids import ID_PATTERN
from protocol.uplink import FIELD_PATTERN

router = APIRouter()


@router.get("/api/v1/history")
def history(
    telemetry: TelemetryDep,
    clock: ClockDep,
    shed: Annotated[str, Query(pattern=ID_PATTERN)],
    device: Annotated[str, Query(pattern=ID_PATTERN)],
    field: Annotated[str, Query(pattern=FIELD_PATTERN)],
    socket: Annotated[int | None, Query(ge=1, le=64)] = None,
    start: int | None = None,
    end: int | None = None,
    resolution: Resolution | None = None,
    max_points: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> HistoryResponse:
    """Readings of one series: raw for short ranges, minute/hour rollups for long ones, at most max_points."""
    end = end if end is not None else clock.now_ms()
    start = start if start is not None else end - 3_600_000
    if end <= start:
        # Shaped as FastAPI's own 422 (the documented HTTPValidationError), which OpenAPI cannot express.
        error = {"loc": ["query", "end"], "msg": "end must be after start", "type": "value_error", "input": end}
        raise RequestValidationError([error])
    res = resolution or pick_resolution(start, end)
    samples = telemetry.query(SeriesKey(shed, device, field, socket), start, end, res)
    points = [
        HistoryPoint(ts=s.ts, mean=s.mean, min=s.min, max=s.max, count=s.count)
        for s in downsample(samples, start, end, max_points)
    ]
    return HistoryResponse(
        shed=shed, device=device, socket=socket, field=field, resolution=res, start=start, end=end, points=points
    )
