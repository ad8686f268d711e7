"""The audit log for admins: every state-changing request of their communities, newest first (docs/accounts.md)."""

from fastapi import APIRouter, Query

from cloud.api.account_models import AuditOut, AuditPage
from cloud.api.deps import CloudDep
from cloud.api.principal import PrincipalDep, scope
from cloud.api.responses import errors
from cloud.core.access.permissions import Action
from cloud.state import audit_rows

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage, responses=errors(403))
def audit_log(
    principal: PrincipalDep,
    cloud: CloudDep,
    community: str | None = Query(default=None, max_length=100, description="only this community's entries"),
    action: str | None = Query(default=None, max_length=64, description="only this action, e.g. user.manage"),
    actor: str | None = Query(default=None, max_length=64, description="only this user id"),
    before_id: int | None = Query(default=None, ge=1, description="entries older than this id (paging)"),
    limit: int = Query(default=100, ge=1, le=500),
) -> AuditPage:
    """Admins read their communities' entries; entries with no community (logins, new communities) are shown to
    deployment-wide admins only."""
    communities = scope(principal, Action.AUDIT_READ, community)
    with cloud.stores.state.engine.connect() as conn:
        entries = audit_rows.newest(
            conn, communities=communities, before_id=before_id, limit=limit, action=action, actor=actor
        )
    following = entries[-1].id if len(entries) == limit else None
    return AuditPage(entries=[AuditOut.of(e) for e in entries], next_before_id=following)
