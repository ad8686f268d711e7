"""A resident's notification settings: channel, opt-ins and watched sheds (docs/api.md, "Notifications").

The channel is an Apprise URL (checked when saved: 422 when Apprise does not know it). Notices go through the
alarm service's durable outbox and notifier (never lost, never doubled: unique per session and step), and, while
the resident's page is open, as ``session`` events of the live stream.
"""

import apprise
from fastapi import APIRouter, HTTPException

from cloud.api.deps import CloudDep
from cloud.api.principal import OK, REFUSED, AuditDep, PrincipalDep, require
from cloud.charging.api_models import NotificationSettingsBody, errors
from cloud.charging.deps import home_community, logged_in
from cloud.charging.repo import ChargingRepo
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Principal

router = APIRouter(tags=["charging"])


def _check(principal: Principal, body: NotificationSettingsBody, communities: dict[str, str]) -> str | None:
    """Why the settings cannot be saved, or None."""
    if body.channel and not apprise.Apprise().add(body.channel):
        return "channel is not a URL Apprise supports (e.g. pushplus://TOKEN, bark://HOST/KEY, json://HOST/PATH)"
    for shed in body.sheds:
        if communities.get(shed) not in principal.communities:
            return f"shed {shed} is not in your communities"
    return None


@router.get("/api/v1/me/notifications", responses=errors(401, 403))
def get_notifications(principal: PrincipalDep, cloud: CloudDep) -> NotificationSettingsBody:
    """The caller's own settings (residents); all off with no channel until saved."""
    principal = logged_in(principal)
    require(principal, Action.NOTIFICATION_MANAGE, Resource(home_community(principal), principal.user_id))
    store = cloud.stores.state
    with store.engine.connect() as conn:
        return NotificationSettingsBody.of(
            ChargingRepo(conn, sqlite=store.is_sqlite).notify_settings(principal.user_id)
        )


@router.put("/api/v1/me/notifications", responses=errors(400, 401, 403, 422))
def put_notifications(
    body: NotificationSettingsBody, principal: PrincipalDep, cloud: CloudDep, audit: AuditDep
) -> NotificationSettingsBody:
    """Replace the caller's settings (residents); 422 for a channel Apprise does not support or a shed outside
    the resident's communities."""
    principal = logged_in(principal)
    community = home_community(principal)
    require(principal, Action.NOTIFICATION_MANAGE, Resource(community, principal.user_id))
    store = cloud.stores.state
    problem = _check(principal, body, store.communities())
    if problem is not None:
        audit(Action.NOTIFICATION_MANAGE.value, principal.user_id, REFUSED, problem, community=community)
        raise HTTPException(status_code=422, detail=problem)
    with store.engine.begin() as conn:
        ChargingRepo(conn, sqlite=store.is_sqlite).save_notify_settings(
            principal.user_id, body.to_settings(), now_ms=cloud.clock.now_ms()
        )
    kinds = ",".join(k for k in ("finished", "stopped", "free_socket") if getattr(body, k)) or "none"
    audit(Action.NOTIFICATION_MANAGE.value, principal.user_id, OK, f"opt-ins {kinds}", community=community)
    return get_notifications(principal, cloud)
