"""The routes' dependency on this process's charging runtime (503 when ``charging`` is off)."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from cloud.api.principal import unauthorized
from cloud.charging.runtime import ChargingRuntime
from cloud.core.access.roles import Principal


def get_charging(request: Request) -> ChargingRuntime:
    """The running app's charging runtime; HTTP 503 when the setting ``charging`` turned it off."""
    charging = getattr(request.app.state, "charging", None)
    if not isinstance(charging, ChargingRuntime):
        raise HTTPException(status_code=503, detail="charging sessions are turned off in this process")
    return charging


ChargingDep = Annotated[ChargingRuntime, Depends(get_charging)]


def logged_in(principal: Principal | None) -> Principal:
    """The caller, or HTTP 401 (``WWW-Authenticate: Bearer``) when not logged in."""
    if principal is None:
        raise unauthorized("login required")
    return principal


def home_community(principal: Principal) -> str | None:
    """The community a user's own things are checked against (the first of theirs; None for an everywhere admin,
    who has no own sessions, wallet or notifications)."""
    return min(principal.communities) if principal.communities and not principal.everywhere else None
