"""Login and the caller's own account: OAuth2 password flow, the pages' session cookie, logout, ``/me``.

Every failed login answers the same 401 whether the user name exists, the password is wrong or the account is
disabled (the audit log says which); too many failures answer 429 with ``Retry-After`` (cloud.auth.limiter).
"""

import asyncio
import math
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import ValidationError

from cloud.api.account_models import LoginIn, LoginOut, PasswordChangeIn, TokenOut, UserOut
from cloud.api.auth_deps import AuthKit, AuthKitDep
from cloud.api.deps import CloudDep, CloudState
from cloud.api.principal import (
    FAILED,
    OK,
    REFUSED,
    SESSION_COOKIE,
    AuditDep,
    PrincipalDep,
    client_address,
    decode_token,
    record_audit,
    set_session_cookie,
    unauthorized,
)
from cloud.api.responses import errors
from cloud.auth.accounts import User
from cloud.auth.csrf import csrf_refusal
from cloud.auth.errors import AccountError, WeakPassword
from cloud.core.access.roles import Principal

router = APIRouter(prefix="/api/v1", tags=["auth"])

LOGIN_ACTION = "auth.login"
LOGOUT_ACTION = "auth.logout"
PASSWORD_ACTION = "auth.password"
BAD_LOGIN = "incorrect user name or password"


def _login(cloud: CloudState, kit: AuthKit, address: str, username: str, password: str) -> User:
    """The user a good login names; raises 429 (throttled) or 401 (anything else), auditing each attempt."""
    target = f"user:{username.strip().casefold()}"
    verdict = kit.limiter.allow(username, address)
    if not verdict.allowed:
        record_audit(cloud, None, LOGIN_ACTION, target, REFUSED, "throttled", address=address)
        wait = str(max(1, math.ceil(verdict.retry_after_s)))
        raise HTTPException(429, "too many failed logins; try again later", headers={"Retry-After": wait})
    user, outcome = kit.directory.authenticate(username, password)
    if user is not None:
        try:
            user.principal()
        except AccountError:  # an account left without a community cannot act anywhere
            user, outcome = None, "disabled"
    kit.limiter.record(username, address, ok=user is not None)
    if user is None:
        record_audit(cloud, None, LOGIN_ACTION, target, REFUSED, outcome, address=address)
        raise unauthorized(BAD_LOGIN)
    record_audit(cloud, user.principal(), LOGIN_ACTION, f"user:{user.id}", OK, address=address)
    return user


def _issue(cloud: CloudState, user: User) -> str:
    return cloud.settings.token_codec().issue(user.principal(), now_s=time.time())


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses=errors(429, e401="incorrect user name or password, or the account is disabled"),
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, cloud: CloudDep, kit: AuthKitDep
) -> TokenOut:
    """OAuth2 password flow (RFC 6749 4.3): form ``username``, ``password`` -> a short-lived bearer token."""
    # Logins wait on Argon2 in the event loop's own executor, not in the pool the sync routes share, so a burst
    # of logins queues there without starving the other routes.
    user = await asyncio.to_thread(_login, cloud, kit, client_address(request), form.username, form.password)
    return TokenOut(access_token=_issue(cloud, user), expires_in=cloud.settings.access_token_ttl_s)


async def _credentials(request: Request) -> LoginIn:
    """The login body: JSON ``{"username", "password"}`` or a form with those fields; 422 otherwise (FastAPI's
    ``HTTPValidationError``, as for any other body, its ``loc`` starting with ``body``)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            return LoginIn.model_validate({k: v for k, v in form.items() if k in ("username", "password")})
        return LoginIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)], body=None
        ) from None


@router.post(
    "/auth/login",
    response_model=LoginOut,
    # The body is read by hand (JSON or a form), so FastAPI documents no 422 of its own: its shape is listed here.
    responses=errors(
        429,
        e401="incorrect user name or password, or the account is disabled",
        e403="a browser's login from a page of another origin (login CSRF)",
        e422="the body is neither JSON nor a form with `username` and `password` (HTTPValidationError)",
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": LoginIn.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": LoginIn.model_json_schema()},
            },
        }
    },
)
async def login(request: Request, response: Response, cloud: CloudDep, kit: AuthKitDep) -> LoginOut:
    """Log a page in: sets the ``shedwatch_session`` cookie (HttpOnly, SameSite=Strict, Secure per settings)."""
    origin, referer = request.headers.get("origin"), request.headers.get("referer")
    if origin is not None or referer is not None:  # a browser: only our own pages may log it in (login CSRF)
        refusal = csrf_refusal(
            request.method,
            origin=origin,
            referer=referer,
            host=request.headers.get("host"),
            allowed_origins=cloud.settings.allowed_origins,
        )
        if refusal is not None:
            raise HTTPException(403, refusal)
    body = await _credentials(request)
    user = await asyncio.to_thread(_login, cloud, kit, client_address(request), body.username, body.password)
    set_session_cookie(response, cloud.settings, _issue(cloud, user))
    return LoginOut(user=UserOut.of(user), expires_in=cloud.settings.access_token_ttl_s)


@router.post("/auth/logout", status_code=204)
def logout(request: Request, response: Response, cloud: CloudDep) -> Response:
    """Expire the session cookie (always 204). A bearer token stays valid until it expires: discard it."""
    cookie = request.cookies.get(SESSION_COOKIE)
    principal: Principal | None = None
    if cookie:
        try:
            principal = decode_token(cloud.settings, cookie, cookie=True)[0]
        except HTTPException:
            principal = None
    if principal is not None:
        record_audit(cloud, principal, LOGOUT_ACTION, f"user:{principal.user_id}", OK, address=client_address(request))
    out = Response(status_code=204)
    out.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=cloud.settings.cookie_secure)
    return out


def _me(principal: Principal | None, kit: AuthKit) -> User:
    if principal is None:
        raise unauthorized("login required")
    user = kit.directory.get(principal.user_id)
    if user is None or user.disabled:
        raise unauthorized("account disabled or removed")
    return user


@router.get(
    "/me", response_model=UserOut, responses=errors(e401="not logged in, or the account was disabled or removed")
)
def me(principal: PrincipalDep, kit: AuthKitDep) -> UserOut:
    """The caller's own account (401 when not logged in, or the account was disabled or removed)."""
    return UserOut.of(_me(principal, kit))


@router.post(
    "/me/password",
    status_code=204,
    responses=errors(
        429,
        e401="not logged in, or the account was disabled or removed",
        e403="the current password is wrong, or a session cookie sent cross-site",
        e422="the new password fails the policy (a sentence), or the body its schema",
    ),
)
def change_own_password(body: PasswordChangeIn, principal: PrincipalDep, kit: AuthKitDep, audit: AuditDep) -> Response:
    """Change one's own password: 403 when the current one is wrong, 422 when the new one fails the policy."""
    user = _me(principal, kit)
    verdict = kit.limiter.allow(user.username, audit.address)  # the same guessing limit as a login
    if not verdict.allowed:
        wait = str(max(1, math.ceil(verdict.retry_after_s)))
        raise HTTPException(429, "too many failed attempts; try again later", headers={"Retry-After": wait})
    checked, _ = kit.directory.authenticate(user.username, body.current_password)
    kit.limiter.record(user.username, audit.address, ok=checked is not None)
    if checked is None:
        audit(PASSWORD_ACTION, f"user:{user.id}", REFUSED, "wrong current password")
        raise HTTPException(403, "the current password is wrong")
    try:
        kit.directory.set_password(user.id, body.new_password)
    except WeakPassword as exc:
        audit(PASSWORD_ACTION, f"user:{user.id}", FAILED, str(exc))
        raise HTTPException(422, str(exc)) from None
    audit(PASSWORD_ACTION, f"user:{user.id}", OK, "own password changed")
    return Response(status_code=204)
