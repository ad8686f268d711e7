"""Thin HTTP routes over live state and the stores."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from cloud.api.live import LiveView
from cloud.history import downsample, pick_resolution
from cloud.livestate import Availability
from cloud.telemetry.base import Resolution, SeriesKey
from protocol.ids import ID_PATTERN

router = APIRouter()
_DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "index.html"


class AvailabilityResponse(BaseModel):
    """Every shed heard from, sorted by id."""

    sheds: list[Availability]  # the live-state dataclass itself: one definition of the shape


def _live(request: Request) -> LiveView:
    live: LiveView = request.app.state.cloud.live
    return live


LiveDep = Annotated[LiveView, Depends(_live)]


@router.get("/api/v1/availability")
def availability(live: LiveDep) -> AvailabilityResponse:
    """Free / charging / plugged / full / faulted sockets per shed."""
    return AvailabilityResponse(sheds=live.availability())


class HistoryPoint(BaseModel):
    """One sample: a raw reading (count 1) or a bucket starting at ts."""

    ts: int
    mean: float
    min: float
    max: float
    count: int


class HistoryResponse(BaseModel):
    """One series over a range, at the resolution the range called for."""

    shed: str
    device: str
    socket: int | None
    field: str
    resolution: Resolution
    start: int
    end: int
    points: list[HistoryPoint]


@router.get("/api/v1/history")
def history(
    request: Request,
    shed: Annotated[str, Query(pattern=ID_PATTERN)],
    device: Annotated[str, Query(pattern=ID_PATTERN)],
    field: Annotated[str, Query(pattern=r"^[a-z][a-z0-9_]{0,31}$")],
    socket: Annotated[int | None, Query(ge=1, le=64)] = None,
    start: int | None = None,
    end: int | None = None,
    resolution: Resolution | None = None,
    max_points: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> HistoryResponse:
    """Readings of one series: raw for short ranges, minute/hour rollups for long ones, at most max_points."""
    state = request.app.state.cloud
    end = end if end is not None else state.clock.now_ms()
    start = start if start is not None else end - 3_600_000
    if end <= start:
        raise HTTPException(status_code=422, detail="end must be after start")
    res = resolution or pick_resolution(start, end)
    samples = state.stores.telemetry.query(SeriesKey(shed, device, field, socket), start, end, res)
    points = [
        HistoryPoint(ts=s.ts, mean=s.mean, min=s.min, max=s.max, count=s.count)
        for s in downsample(samples, start, end, max_points)
    ]
    return HistoryResponse(
        shed=shed, device=device, socket=socket, field=field, resolution=res, start=start, end=end, points=points
    )


class DeadLetterOut(BaseModel):
    """A rejected message: where it came in, why it was refused, and the start of its payload."""

    id: int
    received_ms: int
    topic: str
    reason: str
    detail: str
    payload_preview: str


@router.get("/api/v1/dead-letters")
def dead_letters(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeadLetterOut]:
    """The newest rejected messages first."""
    letters = request.app.state.cloud.stores.state.dead_letters(limit)
    return [
        DeadLetterOut(
            id=d.id,
            received_ms=d.received_ms,
            topic=d.topic,
            reason=d.reason,
            detail=d.detail,
            payload_preview=d.payload[:200].decode("utf-8", "replace"),
        )
        for d in letters
    ]


@router.get("/healthz")
def healthz(request: Request) -> dict[str, object]:
    """Liveness, with the ingest counters when ingest runs in this process."""
    worker = request.app.state.cloud.worker
    return {
        "status": "ok",
        "ingest": worker.stats.as_dict() if worker is not None else None,
        # per shed: stored-through seq, seqs missing and given up as lost, the edge's reject counts
        "delivery": worker.delivery.snapshot() if worker is not None else None,
    }


@router.get("/", response_class=HTMLResponse)
def dashboard() -> HTMLResponse:
    """The availability page (static HTML that polls the API)."""
    return HTMLResponse(_DASHBOARD.read_text(encoding="utf-8"))
