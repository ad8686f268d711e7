"""Authorising a staff route: the caller, the action, the community the thing belongs to, and the audit.

Every staff route asks here: ``in_shed`` for one shed's things (its community read from the inventory), ``in_community``
for a community's configuration, ``visible`` for lists (the communities whose rows the caller may see).
A state-changing action leaves an audit record when done, failed (``audited``) or refused (the app's access
handler, cloud.api.principal), so an admin sees who tried what they may not.
"""

from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException, Request

from cloud.api.deps import CloudState
from cloud.api.principal import FAILED, OK, client_address, record_audit, require, scope
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Principal
from cloud.core.alarms.inputs import Actor
from cloud.state import staff_rows

T = TypeVar("T")


def in_community(
    cloud: CloudState, principal: Principal | None, action: Action, community: str | None, target: str
) -> Principal:
    """The caller when allowed ``action`` on ``community``; 401 / 403 otherwise (a refused change is audited by
    the app's access handler, with ``target``)."""
    del cloud
    return require(principal, action, Resource(community), target=target)


def shed_community(cloud: CloudState, shed: str) -> str | None:
    """The shed's community from the inventory, None when the cloud does not know it."""
    with cloud.stores.state.engine.connect() as conn:
        return staff_rows.shed_community(conn, shed)


def in_shed(
    cloud: CloudState, principal: Principal | None, action: Action, shed: str, target: str = "", missing: str = ""
) -> tuple[Principal, str]:
    """The caller when allowed ``action`` in ``shed``'s community, and that community.

    A shed the cloud does not know belongs to no community: only a deployment-wide admin passes, and gets 404
    (detail ``missing``, else ``no shed SHED``: a route looking up a thing of a shed names the thing);
    everybody else gets 403, so the answer never tells whether another community's shed exists.
    """
    community = shed_community(cloud, shed)
    user = in_community(cloud, principal, action, community, target or shed)
    if community is None:
        raise HTTPException(404, missing or f"no shed {shed}")
    return user, community


def visible(principal: Principal | None, action: Action) -> frozenset[str] | None:
    """The communities whose rows the caller may ``action`` (None: all, a deployment-wide admin); 401 / 403.

    The same question every list route asks: ``cloud.api.principal.scope`` answers it (grants are per role, so
    every one of the caller's communities passes or none does)."""
    return scope(principal, action)


def actor(principal: Principal, request: Request) -> Actor:
    """Who acted and from where, for the alarm audit trail (device ``api:CLIENT_IP``)."""
    return Actor(principal.user_id, f"api:{request.client.host if request.client else '?'}")


def audited(
    cloud: CloudState,
    principal: Principal,
    action: Action,
    target: str,
    detail: str,
    act: Callable[[], T],
    *,
    community: str | None = None,
    request: Request | None = None,
) -> T:
    """Run ``act`` and record it (outcome ``ok``), or record its HTTP failure (``failed``, the reason) and re-raise."""
    address = client_address(request) if request else ""
    try:
        result = act()
    except HTTPException as exc:
        failed = f"{detail}: {exc.detail}"
        record_audit(cloud, principal, action.value, target, FAILED, failed, community=community, address=address)
        raise
    record_audit(cloud, principal, action.value, target, OK, detail, community=community, address=address)
    return result
