"""Who is calling: the principal of a request and the ``require`` / ``record_audit`` helpers.

STAND-IN written by `staffapi` against the interface fixed in the team's plan until `auth` lands its real module
(same names and signatures); on merge the `auth` version replaces this file whole.
"""

import logging
import secrets
import time
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cloud.api.deps import CloudDep, CloudState
from cloud.auth.errors import ExpiredToken, InvalidToken
from cloud.auth.tokens import TokenCodec
from cloud.core.access.authorize import Resource, authorize
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Principal

log = logging.getLogger(__name__)
_SECRET = secrets.token_urlsafe(32)  # per process: tokens from tests/apiauth.py in the same process
CODEC = TokenCodec(_SECRET)
_bearer = HTTPBearer(auto_error=False)
_NOWHERE = Resource()


def current_principal(
    cloud: CloudDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    """The caller from ``Authorization: Bearer``; None when none is sent; 401 for a bad or expired token."""
    del cloud
    if creds is None:
        return None
    try:
        principal, _ = CODEC.check(creds.credentials, now_s=time.time())
    except (ExpiredToken, InvalidToken) as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    return principal


PrincipalDep = Annotated[Principal | None, Depends(current_principal)]


def require(principal: Principal | None, action: Action, resource: Resource = _NOWHERE) -> Principal:
    """The principal when allowed; 401 when not logged in, 403 ``{"detail": reason}`` when refused."""
    decision = authorize(principal, action, resource)
    if principal is None and not decision.allowed:
        raise HTTPException(401, decision.reason, headers={"WWW-Authenticate": "Bearer"})
    if not decision.allowed:
        raise HTTPException(403, decision.reason)
    assert principal is not None
    return principal


AUDITED: list[tuple[str, str, str, str, str]] = []  # stand-in for the audit_log table


def record_audit(
    cloud: CloudState, principal: Principal | None, action: str, target: str, outcome: str, detail: str = ""
) -> None:
    """Record one state-changing action (stand-in: kept in memory and logged)."""
    del cloud
    actor = principal.user_id if principal else ""
    AUDITED.append((actor, action, target, outcome, detail))
    log.info("audit %s %s %s %s %s", actor, action, target, outcome, detail)
