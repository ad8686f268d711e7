"""Account administration (``user.manage``: admins, in their own communities; docs/accounts.md, "Accounts API").

An admin creates, changes, disables and resets the password of staff and resident accounts of the communities
they administer; touching an account needs every community it belongs to before and after the change (a role
applies in all of them). Deployment-wide admins are made by the CLI only (``shedwatch cloud user create-admin``)
and only another deployment-wide admin may change one. Nobody changes their own role or disables themselves
(so a deployment cannot lose its last admin by a slip). Every change, allowed, refused or failed, is audited.
"""

from collections.abc import Iterable

from fastapi import APIRouter, HTTPException, Query, Response

from cloud.api.account_models import NewUserIn, PasswordIn, UserChangeIn, UserOut
from cloud.api.auth_deps import AuthKitDep
from cloud.api.principal import FAILED, OK, AuditDep, PrincipalDep, Refused, require, scope
from cloud.api.responses import errors
from cloud.auth.accounts import User
from cloud.auth.errors import AccountConflict, AccountError, UnknownUser, WeakPassword
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Principal

router = APIRouter(prefix="/api/v1", tags=["users"])
MANAGE = Action.USER_MANAGE


def _require_all(principal: Principal | None, communities: Iterable[str], target: str) -> Principal:
    """The principal when it manages every one of ``communities``; an empty set means deployment-wide."""
    wanted: list[str | None] = [*sorted(set(communities))] or [None]
    who = require(principal, MANAGE, Resource(community=wanted[0]), target=target)
    for community in wanted[1:]:
        require(who, MANAGE, Resource(community=community), target=target)
    return who


def _existing(kit: AuthKitDep, principal: Principal | None, user_id: str) -> User:
    """The account; 401 / 403 before the lookup when the caller may manage no accounts at all, so a 404 never
    tells an anonymous caller (or a resident) which ids exist."""
    scope(principal, MANAGE)
    user = kit.directory.get(user_id)
    if user is None:
        raise HTTPException(404, f"no user {user_id!r}")
    return user


def _visible(principal: Principal) -> frozenset[str] | None:
    return None if principal.everywhere else principal.communities


def _failed(audit: AuditDep, target: str, community: str | None, exc: Exception, status: int) -> HTTPException:
    audit(MANAGE, target, FAILED, str(exc), community=community)
    return HTTPException(status, str(exc))


@router.get("/users", response_model=list[UserOut], responses=errors(403))
def list_users(
    principal: PrincipalDep,
    kit: AuthKitDep,
    community: str | None = Query(default=None, max_length=100, description="only this community's accounts"),
) -> list[UserOut]:
    """Accounts of the admin's communities (or one of them), by user name; communities outside the admin's are
    not shown. A deployment-wide admin sees every account."""
    communities = scope(principal, MANAGE, community)
    assert principal is not None  # scope raised 401 otherwise
    return [UserOut.of(u, _visible(principal)) for u in kit.directory.users(communities)]


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    responses=errors(
        403,
        e409="the user name is taken",
        e422="a bad user name, an unknown community or a password the policy refuses, or the body its schema",
    ),
)
def create_user(body: NewUserIn, principal: PrincipalDep, kit: AuthKitDep, audit: AuditDep) -> UserOut:
    """A new staff or resident account in some of the admin's communities: 409 when the name is taken, 422 for a
    bad name, unknown community or a password the policy refuses."""
    target = f"user:{body.username.strip().casefold()}"
    who = _require_all(principal, body.communities, target)
    first = min(body.communities)
    try:
        user = kit.directory.create_user(
            username=body.username,
            password=body.password,
            role=body.role,
            communities=body.communities,
            display_name=body.display_name,
        )
    except AccountConflict as exc:
        raise _failed(audit, target, first, exc, 409) from None
    except (AccountError, WeakPassword) as exc:
        raise _failed(audit, target, first, exc, 422) from None
    detail = f"created {user.username} ({user.role.value} in {', '.join(sorted(user.communities))})"
    audit(MANAGE, f"user:{user.id}", OK, detail, community=first)
    return UserOut.of(user, _visible(who))


@router.get("/users/{user_id}", response_model=UserOut, responses=errors(403, e404="no such user"))
def get_user(user_id: str, principal: PrincipalDep, kit: AuthKitDep) -> UserOut:
    """One account of the admin's communities (403 outside them, 404 when there is none)."""
    user = _existing(kit, principal, user_id)
    who = _require_all(principal, user.communities, f"user:{user_id}")
    return UserOut.of(user, _visible(who))


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    responses=errors(
        e403="refused by the permission table, or a change of one's own role or disabling oneself",
        e404="no such user",
        e422="an unknown community or a bad change, or the body its schema",
    ),
)
def change_user(user_id: str, body: UserChangeIn, principal: PrincipalDep, kit: AuthKitDep, audit: AuditDep) -> UserOut:
    """Change role, communities, display name or disabled; the admin needs every community before and after."""
    target = f"user:{user_id}"
    user = _existing(kit, principal, user_id)
    who = _require_all(principal, user.communities | set(body.communities or ()), target)
    community = min(user.communities) if user.communities else None
    if who.user_id == user_id and (body.role not in (None, user.role) or body.disabled is True):
        raise Refused(who, MANAGE, Resource(community=community), "not on your own account", target)
    try:
        after = kit.directory.change(
            user_id,
            role=body.role,
            communities=body.communities,
            display_name=body.display_name,
            disabled=body.disabled,
        )
    except UnknownUser as exc:
        raise _failed(audit, target, community, exc, 404) from None
    except AccountError as exc:
        raise _failed(audit, target, community, exc, 422) from None
    changes = [f"{k}={v}" for k, v in body.model_dump(exclude_none=True).items()]
    audit(MANAGE, target, OK, "changed " + ", ".join(changes), community=community)
    return UserOut.of(after, _visible(who))


@router.post(
    "/users/{user_id}/password",
    status_code=204,
    responses=errors(403, e404="no such user", e422="the password fails the policy, or the body its schema"),
)
def reset_password(
    user_id: str, body: PasswordIn, principal: PrincipalDep, kit: AuthKitDep, audit: AuditDep
) -> Response:
    """Set another account's password (the admin tells its owner); 422 when the policy refuses it."""
    target = f"user:{user_id}"
    user = _existing(kit, principal, user_id)
    _require_all(principal, user.communities, target)
    community = min(user.communities) if user.communities else None
    try:
        kit.directory.set_password(user_id, body.password)
    except WeakPassword as exc:
        raise _failed(audit, target, community, exc, 422) from None
    audit(MANAGE, target, OK, "password reset", community=community)
    return Response(status_code=204)
