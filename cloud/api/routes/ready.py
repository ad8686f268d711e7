"""GET /readyz: whether this process should get traffic (a load balancer's or Kubernetes' readiness probe).

Checks, each ``true`` / ``false`` (``null`` when the part does not run here):

* ``state_store``: a ``SELECT 1`` on the state store answers;
* ``telemetry_store``: a one-series read of the telemetry store answers;
* ``ingest``: with ingest in this process, subscribed to the edges' topics; else the feed follower runs;
* ``alarms``: the alarm service's threads run, so its leader is decided (``leader``: whether it is this process).

200 when every check that applies is true, else 503; the body is the same either way.
"""

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from cloud.api.deps import CloudDep, CloudState
from cloud.telemetry.base import Resolution, SeriesKey

router = APIRouter()


class ReadyOut(BaseModel):
    """Readiness: every check (null: not run in this process) and whether this process leads the alarms."""

    ready: bool
    checks: dict[str, bool | None]
    leader: bool | None


def _state_ok(cloud: CloudState) -> bool:
    try:
        with cloud.stores.state.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1
    except Exception:
        return False


def _telemetry_ok(cloud: CloudState) -> bool:
    try:
        cloud.stores.telemetry.query(SeriesKey("readyz", "readyz", "power_w"), 0, 1, Resolution.RAW)
    except Exception:
        return False
    return True


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "not ready: the same body, some check false"}},
)
async def readyz(cloud: CloudDep) -> JSONResponse:
    """``{"ready": bool, "checks": {name: bool | null}, "leader": bool | null}``."""
    state_ok, telemetry_ok = await asyncio.gather(
        asyncio.to_thread(_state_ok, cloud), asyncio.to_thread(_telemetry_ok, cloud)
    )
    if cloud.worker is not None:
        ingest: bool | None = cloud.worker.stats.subscribed
    elif cloud.follower is not None:
        ingest = cloud.follower.running
    else:
        ingest = None
    runner = cloud.alarms
    alarms = runner.running if runner is not None else None
    checks = {"state_store": state_ok, "telemetry_store": telemetry_ok, "ingest": ingest, "alarms": alarms}
    ready = all(v is not False for v in checks.values())
    body = ReadyOut(ready=ready, checks=checks, leader=runner.leadership.held if runner is not None else None)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
