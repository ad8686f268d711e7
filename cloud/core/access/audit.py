"""The audit record of a state-changing action: who tried what on which resource, and what was decided.

Every state-changing action (``permissions.STATE_CHANGING``) leaves one, allowed or refused, so refusals
show up too (an operator can see who tried to change configuration they may not). Pure: the caller
passes the time and stores the record.
"""

from dataclasses import dataclass

from cloud.core.access.authorize import Decision, Resource
from cloud.core.access.permissions import STATE_CHANGING, Action
from cloud.core.access.roles import Principal


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One line of the audit log. ``actor`` is empty for an anonymous caller; ``at_ms`` epoch ms."""

    at_ms: int
    actor: str
    role: str
    action: Action
    community: str | None
    owner: str | None
    allowed: bool
    reason: str
    detail: str = ""  # what changed, e.g. "socket post-1/3 stopped" or "credit 5000 fen"


def audit_record(
    principal: Principal | None, action: Action, resource: Resource, decision: Decision, *, at_ms: int, detail: str = ""
) -> AuditRecord | None:
    """The record to store for this decision, or None for a read (reads are not audited)."""
    if action not in STATE_CHANGING:
        return None
    return AuditRecord(
        at_ms=at_ms,
        actor=principal.user_id if principal else "",
        role=principal.role.value if principal else "",
        action=action,
        community=resource.community,
        owner=resource.owner,
        allowed=decision.allowed,
        reason=decision.reason,
        detail=detail,
    )
