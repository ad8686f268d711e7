"""``authorize(principal, action, resource)``: the one pure decision every API route asks.

Shape: ``Decision(allowed, reason)``; ``reason`` is a short English phrase for the audit record and
the 403 body. No I/O: the caller loads the resource's community and owner and passes them in.
"""

from dataclasses import dataclass

from cloud.core.access.permissions import PERMISSIONS, Action, Grant, grant
from cloud.core.access.roles import Principal


@dataclass(frozen=True, slots=True)
class Resource:
    """What an action touches: its community (None = deployment-wide) and, for personal data, its owner's user id."""

    community: str | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: allowed or not, and why (for the audit record and the error body)."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def authorize(principal: Principal | None, action: Action, resource: Resource) -> Decision:
    """Decide whether ``principal`` (None = not logged in) may do ``action`` on ``resource``.

    Order: a public action is allowed to all; otherwise a login is needed, then the role's grant in
    the permission table, then the community (an everywhere admin passes), then ownership for OWN grants.
    """
    if principal is None:
        if all(g is Grant.PUBLIC for g in PERMISSIONS[action].values()):
            return Decision(True, "public")
        return Decision(False, "login required")
    g = grant(principal.role, action)
    if g is None:
        return Decision(False, f"role {principal.role.value} may not {action.value}")
    if g is Grant.PUBLIC:
        return Decision(True, "public")
    if not principal.in_community(resource.community):
        return Decision(False, "outside the user's communities")
    if g is Grant.OWN and (resource.owner is None or resource.owner != principal.user_id):
        return Decision(False, "not the user's own")
    return Decision(True, g.value)
