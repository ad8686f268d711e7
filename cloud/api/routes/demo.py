"""The demo's drill button: ``GET`` / ``POST /api/v1/demo/drill`` (docs/api.md, "Demo drill").

Only ``shedwatch demo`` starts a cloud with ``demo_drill_file`` set, and only then does create_app add these
routes; anywhere else they do not exist (404, and not in the OpenAPI document) and the control room shows no
button. In the demo an admin's POST appends one JSON line (who, when) to that file; the demo's simulator of shed-a
(``sim run --faults-on-request``) reads it and starts the thermal-runaway drill. The cloud never touches a device:
the file is the simulator's, the edge still decides.
"""

import os
from pathlib import Path

import orjson
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from cloud.api.deps import CloudDep
from cloud.api.principal import PrincipalDep, scope
from cloud.api.responses import errors
from cloud.api.scope import audited
from cloud.core.access.permissions import Action

router = APIRouter(tags=["demo"])
TARGET = "demo:drill"


class DrillOut(BaseModel):
    """The drill can be started here (GET), or was requested (POST): the demo's simulator starts it."""

    requested: bool


def _file(cloud: CloudDep) -> Path:
    path = cloud.settings.demo_drill_file
    if path is None:  # create_app adds the routes only with the file; a test app might not
        raise HTTPException(status_code=404, detail="Not Found")
    return path


def _community(communities: frozenset[str] | None) -> str | None:
    return min(communities) if communities else None


def request_line(by: str, now_ms: int) -> bytes:
    """One drill request as the line the simulator reads: a JSON object and a newline."""
    return orjson.dumps({"by": by, "ts_ms": now_ms}) + b"\n"


def append_request(path: Path, line: bytes) -> None:
    """Append ``line`` in one write (O_APPEND), so a reader never sees two requests interleaved."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


@router.get("/api/v1/demo/drill", responses=errors(401, 403, e404="not a demo deployment"))
def drill_available(cloud: CloudDep, principal: PrincipalDep) -> DrillOut:
    """200 when this is a demo and the caller may start its drill (the control room's button shows then)."""
    scope(principal, Action.DEMO_DRILL)
    _file(cloud)
    return DrillOut(requested=False)


@router.post(
    "/api/v1/demo/drill",
    status_code=202,
    responses=errors(401, 403, e404="not a demo deployment", e503="the drill request could not be written"),
)
def start_drill(cloud: CloudDep, principal: PrincipalDep, request: Request) -> DrillOut:
    """Ask the demo's simulator for the thermal-runaway drill on shed-a (admin; audited). 202: requested, the
    simulator starts it within a second; the edge's cut, the incident and its alerts follow as in a real fire."""
    communities = scope(principal, Action.DEMO_DRILL)
    path = _file(cloud)
    assert principal is not None  # scope raised 401 otherwise

    def write() -> None:
        try:
            append_request(path, request_line(principal.user_id, cloud.clock.now_ms()))
        except OSError as exc:
            raise HTTPException(status_code=503, detail=f"cannot write the drill request: {exc.strerror}") from None

    audited(
        cloud,
        principal,
        Action.DEMO_DRILL,
        TARGET,
        "thermal-runaway drill requested",
        write,
        community=_community(communities),
        request=request,
    )
    return DrillOut(requested=True)
