"""Who is calling: the principal dependency, ``require`` and the audit helpers every route uses (docs/accounts.md).

* ``PrincipalDep``: the caller from ``Authorization: Bearer <JWT>`` (cloud.auth.tokens) or the session cookie
  ``shedwatch_session`` (the same token, set by ``POST /api/v1/auth/login``); ``None`` when neither is sent.
  A cookie past half its lifetime is renewed on use, after checking the account is still enabled (and taking
  its current role and communities), so a page stays logged in while it is used.
  A bad or expired credential answers 401 with ``WWW-Authenticate: Bearer`` (and, for a cookie, clears it). A
  cookie-authenticated state-changing request from another origin answers 403 (cloud.auth.csrf). When both are
  sent the bearer token wins.
* ``require(principal, action, resource)``: cloud.core.access.authorize; 401 when not logged in, 403
  ``{"detail": reason}`` when refused. A refused state-changing action is written to the audit log by the
  exception handler ``install_access_handlers`` adds to the app.
* ``record_audit(cloud, principal, action, target, outcome, detail)`` / ``AuditDep``: one ``audit_log`` row per
  state-changing request; outcomes ``ok``, ``refused``, ``failed``.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie, OAuth2PasswordBearer
from sqlalchemy.exc import SQLAlchemyError

from cloud.api.auth_deps import auth_kit
from cloud.api.deps import CloudDep, CloudState, cloud_of
from cloud.auth import verified
from cloud.auth.csrf import csrf_refusal
from cloud.auth.errors import AccountError, ExpiredToken, InvalidToken
from cloud.auth.settings import AuthSettings
from cloud.core.access.authorize import Resource, authorize
from cloud.core.access.permissions import STATE_CHANGING, Action
from cloud.core.access.roles import Principal
from cloud.errors import StoreError
from cloud.state import audit_rows

log = logging.getLogger(__name__)

SESSION_COOKIE = "shedwatch_session"
TOKEN_URL = "/api/v1/auth/token"
OK, REFUSED, FAILED = "ok", "refused", "failed"  # audit outcomes

# Both only read the credential (auto_error=False: no credential is an anonymous caller, not an error); they
# also put the two schemes into the OpenAPI document.
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False, scheme_name="bearer")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session_cookie")


def unauthorized(detail: str, *, clear_cookie: bool = False) -> HTTPException:
    """A 401 with the RFC 6750 challenge; ``clear_cookie`` also expires a bad session cookie."""
    headers = {"WWW-Authenticate": "Bearer"}
    if clear_cookie:
        headers["Set-Cookie"] = f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict"
    return HTTPException(status_code=401, detail=detail, headers=headers)


def decode_token(settings: AuthSettings, token: str, *, cookie: bool = False) -> tuple[Principal, dict[str, Any]]:
    """The principal and claims of a good token at the wall clock now; raises the 401 HTTPException otherwise.

    Token times are epoch seconds of the wall clock (RFC 7519 ``exp``), never the simulated process clock. A
    token's signature is checked once per process (cloud.auth.verified); its times on every request.
    """
    try:
        return verified.check(settings.token_codec(), token, now_s=time.time())
    except ExpiredToken:
        raise unauthorized("token expired", clear_cookie=cookie) from None
    except InvalidToken:
        raise unauthorized("invalid token", clear_cookie=cookie) from None


def set_session_cookie(response: Response, settings: AuthSettings, token: str) -> None:
    """Set the pages' session cookie: HttpOnly, SameSite=Strict, Secure per settings, as long as the token lives."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.access_token_ttl_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
    )


def _renew(request: Request, cloud: CloudState, response: Response, principal: Principal) -> Principal:
    user = auth_kit(request, cloud).directory.get(principal.user_id)
    if user is None or user.disabled:
        raise unauthorized("account disabled or removed", clear_cookie=True)
    try:
        fresh = user.principal()
    except AccountError:
        raise unauthorized("account disabled or removed", clear_cookie=True) from None
    set_session_cookie(response, cloud.settings, cloud.settings.token_codec().issue(fresh, now_s=time.time()))
    return fresh


def client_address(request: Request) -> str:
    """The client's IP address as this process saw it ("" when unknown)."""
    return request.client.host if request.client else ""


@dataclass(frozen=True, slots=True)
class Credential:
    """The authenticated caller and when the credential they sent expires (``exp``, epoch s of the wall clock)."""

    principal: Principal
    expires_s: float


async def current_credential(
    request: Request,
    response: Response,
    cloud: CloudDep,
    token: Annotated[str | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Credential | None:
    """The authenticated caller with the credential's expiry, or None for an anonymous one (see the module
    docstring for the errors)."""
    if token is None and request.headers.get("authorization") is not None:
        raise unauthorized("unsupported Authorization scheme; send 'Bearer <token>'")
    if token is not None:
        principal, claims = decode_token(cloud.settings, token)
        return Credential(principal, float(claims["exp"]))
    if cookie is None:
        return None
    principal, claims = decode_token(cloud.settings, cookie, cookie=True)
    refusal = csrf_refusal(
        request.method,
        origin=request.headers.get("origin"),
        referer=request.headers.get("referer"),
        host=request.headers.get("host"),
        allowed_origins=cloud.settings.allowed_origins,
    )
    if refusal is not None:
        raise HTTPException(status_code=403, detail=refusal)
    if time.time() - claims["iat"] >= cloud.settings.access_token_ttl_s / 2:
        principal = await asyncio.to_thread(_renew, request, cloud, response, principal)
    # The cookie the client holds is the one it sent (a renewal reaches it only with a response it reads).
    return Credential(principal, float(claims["exp"]))


async def current_principal(credential: Annotated[Credential | None, Depends(current_credential)]) -> Principal | None:
    """The authenticated caller, or None for an anonymous one (a route that goes on reading, the stream, also
    needs the credential's expiry: ``CredentialDep``)."""
    return credential.principal if credential is not None else None


PrincipalDep = Annotated[Principal | None, Depends(current_principal)]
CredentialDep = Annotated[Credential | None, Depends(current_credential)]


class Refused(HTTPException):
    """403 from ``require``: carries what was refused so the handler can audit it."""

    def __init__(self, principal: Principal, action: Action, resource: Resource, reason: str, target: str) -> None:
        super().__init__(status_code=403, detail=reason)
        self.principal = principal
        self.action = action
        self.resource = resource
        self.target = target


_ANYWHERE = Resource()  # deployment-wide: no community, no owner


def require(
    principal: Principal | None, action: Action, resource: Resource = _ANYWHERE, *, target: str = ""
) -> Principal:
    """The principal when it may do ``action`` on ``resource``; raises 401 (anonymous) or 403 ``Refused``.

    For actions that need a login (a public read does not call this). ``target`` names the thing for the audit
    record of a refusal (default: the resource's owner or community).
    """
    if principal is None:
        raise unauthorized("login required")
    decision = authorize(principal, action, resource)
    if not decision:
        target = target or resource.owner or resource.community or ""
        raise Refused(principal, action, resource, decision.reason, target)
    return principal


def scope(principal: Principal | None, action: Action, community: str | None = None) -> frozenset[str] | None:
    """The communities a list route shows for ``action``: ``{community}`` when one is asked for (``require``d),
    else all of the caller's, or None for a deployment-wide admin (every community). 401/403 like ``require``."""
    if community is not None:
        require(principal, action, Resource(community=community))
        return frozenset({community})
    if principal is None:
        raise unauthorized("login required")
    if principal.everywhere:
        require(principal, action, _ANYWHERE)
        return None
    require(principal, action, Resource(community=min(principal.communities)))  # the role's grant: same for each
    return principal.communities


def record_audit(
    cloud: CloudState,
    principal: Principal | None,
    action: str,
    target: str,
    outcome: str,
    detail: str = "",
    *,
    community: str | None = None,
    address: str = "",
) -> int:
    """Write one audit_log row (blocking I/O: call from a sync route or ``asyncio.to_thread``); its id.

    ``action`` a cloud.core.access.permissions.Action value or a finer verb (e.g. "user.disable"); ``outcome``
    ok | refused | failed; time from the cloud's clock (epoch ms). Raises StoreError when the store fails.
    """
    entry = audit_rows.AuditEntry(
        ts_ms=cloud.clock.now_ms(),
        actor=principal.user_id if principal else "",
        role=principal.role.value if principal else "",
        action=str(action),
        target=target,
        community=community,
        outcome=outcome,
        detail=detail,
        address=address,
    )
    try:
        with cloud.stores.state.engine.begin() as conn:
            return audit_rows.append(conn, entry)
    except SQLAlchemyError as exc:
        raise StoreError(f"writing the audit log: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Auditor:
    """``record_audit`` bound to one request's cloud, principal and client address."""

    cloud: CloudState
    principal: Principal | None
    address: str

    def __call__(
        self, action: str, target: str, outcome: str, detail: str = "", *, community: str | None = None
    ) -> int:
        """Write one audit row for this request (blocking I/O); its id."""
        return record_audit(
            self.cloud, self.principal, action, target, outcome, detail, community=community, address=self.address
        )


async def get_auditor(request: Request, cloud: CloudDep, principal: PrincipalDep) -> Auditor:
    """The request's auditor (the principal is the same one the route gets: FastAPI resolves it once)."""
    return Auditor(cloud, principal, client_address(request))


AuditDep = Annotated[Auditor, Depends(get_auditor)]


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refused)
    if exc.action in STATE_CHANGING:
        try:
            await asyncio.to_thread(
                record_audit,
                cloud_of(request),
                exc.principal,
                exc.action.value,
                exc.target,
                REFUSED,
                str(exc.detail),
                community=exc.resource.community,
                address=client_address(request),
            )
        except Exception:  # the refusal stands even when its audit row cannot be written
            log.exception("could not audit a refused %s by %s", exc.action.value, exc.principal.user_id)
    return JSONResponse({"detail": exc.detail}, status_code=403)


def install_access_handlers(app: FastAPI) -> None:
    """Make ``require``'s refusals answer 403 ``{"detail": reason}`` and audit refused state changes."""
    app.add_exception_handler(Refused, _refused)
