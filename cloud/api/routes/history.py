"""GET /api/v1/history."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from cloud.api.deps import ClockDep, TelemetryDep
from cloud.api.models import HistoryPoint, HistoryResponse
from cloud.history import downsample, pick_resolution
from cloud.telemetry.base import Resolution, SeriesKey, TelemetryStore
from protocol.clock import Clock
from protocol.ids import ID_PATTERN
from protocol.uplink import FIELD_PATTERN

router = APIRouter()
MAX_POINTS = 5000
# The longest range each resolution may be asked for explicitly: a bound on the rows one request reads.
MAX_SPAN_MS = {Resolution.RAW: 24 * 3_600_000, Resolution.MINUTE: 31 * 86_400_000, Resolution.HOUR: None}


def read_series(
    telemetry: TelemetryStore,
    clock: Clock,
    key: SeriesKey,
    start: int | None,
    end: int | None,
    resolution: Resolution | None,
    max_points: int,
) -> HistoryResponse:
    """One series over [start, end) (default: the last hour by ``clock``), at most ``max_points`` points.

    422 when ``end <= start`` or an explicit resolution is too fine for the span (``MAX_SPAN_MS``).
    """
    end = end if end is not None else clock.now_ms()
    start = start if start is not None else end - 3_600_000
    if end <= start:
        raise HTTPException(status_code=422, detail="end must be after start")
    res = resolution or pick_resolution(start, end)
    limit = MAX_SPAN_MS[res]
    if limit is not None and end - start > limit:
        raise HTTPException(status_code=422, detail=f"{res.value} resolution covers at most {limit} ms; ask coarser")
    samples = telemetry.query(key, start, end, res)
    points = [
        HistoryPoint(ts=s.ts, mean=s.mean, min=s.min, max=s.max, count=s.count)
        for s in downsample(samples, start, end, max_points)
    ]
    return HistoryResponse(
        shed=key.shed,
        device=key.device,
        socket=key.socket,
        field=key.field,
        resolution=res,
        start=start,
        end=end,
        points=points,
    )


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
    max_points: Annotated[int, Query(ge=1, le=MAX_POINTS)] = 500,
) -> HistoryResponse:
    """Readings of one series: raw for short ranges, minute/hour rollups for long ones, at most max_points."""
    return read_series(telemetry, clock, SeriesKey(shed, device, field, socket), start, end, resolution, max_points)
