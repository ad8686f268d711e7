"""Thin HTTP routes over live state and the stores."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from cloud.api.live import LiveView

router = APIRouter()
_DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "index.html"


class ShedAvailability(BaseModel):
    """Socket counts of one shed."""

    shed: str
    community: str
    free: int
    charging: int
    plugged: int
    full: int
    faulted: int
    total: int
    updated_ts: int


class AvailabilityResponse(BaseModel):
    """Every shed heard from, sorted by id."""

    sheds: list[ShedAvailability]


def _live(request: Request) -> LiveView:
    live: LiveView = request.app.state.cloud.live
    return live


LiveDep = Annotated[LiveView, Depends(_live)]


@router.get("/api/v1/availability")
def availability(live: LiveDep) -> AvailabilityResponse:
    """Free / charging / plugged / full / faulted sockets per shed."""
    return AvailabilityResponse(
        sheds=[ShedAvailability.model_validate(a, from_attributes=True) for a in live.availability()]
    )


@router.get("/healthz")
def healthz(request: Request) -> dict[str, object]:
    """Liveness, with the ingest counters when ingest runs in this process."""
    worker = request.app.state.cloud.worker
    return {"status": "ok", "ingest": worker.stats.as_dict() if worker is not None else None}


@router.get("/", response_class=HTMLResponse)
def dashboard() -> HTMLResponse:
    """The availability page (static HTML that polls the API)."""
    return HTMLResponse(_DASHBOARD.read_text(encoding="utf-8"))
