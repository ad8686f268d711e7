"""Audit log rows (on a connection): append one entry, read the newest first (docs/accounts.md, "Audit log")."""

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, select

from cloud.state.accounts_schema import audit_log

# Column widths of audit_log: longer values are cut, never refused (an audit write must not fail a request).
_WIDTHS = {"actor": 64, "role": 16, "action": 64, "target": 300, "community": 100, "outcome": 16, "address": 64}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit line. ``ts_ms`` epoch ms; ``actor`` the user id ("" anonymous); ``outcome`` ok | refused | failed;
    ``community`` None for a deployment-wide target; ``id`` 0 until stored."""

    ts_ms: int
    actor: str
    role: str
    action: str
    target: str
    community: str | None
    outcome: str
    detail: str = ""
    address: str = ""
    id: int = 0


def append(conn: Connection, entry: AuditEntry) -> int:
    """Store one entry; its id."""
    values: dict[str, str | int | None] = {
        "ts_ms": entry.ts_ms,
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "target": entry.target,
        "community": entry.community,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "address": entry.address,
    }
    for key, width in _WIDTHS.items():
        value = values[key]
        if isinstance(value, str):
            values[key] = value[:width]
    result = conn.execute(audit_log.insert().values(**values).returning(audit_log.c.id))
    return int(result.scalar_one())


def newest(
    conn: Connection,
    *,
    communities: Collection[str] | None,
    before_id: int | None = None,
    limit: int = 100,
    action: str | None = None,
    actor: str | None = None,
) -> list[AuditEntry]:
    """Entries newest first, ``limit`` at most, ids below ``before_id`` when given (paging).

    ``communities=None``: every entry (a deployment-wide admin); otherwise only the entries of those communities.
    """
    q = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if communities is not None:
        q = q.where(audit_log.c.community.in_(sorted(communities)))
    if before_id is not None:
        q = q.where(audit_log.c.id < before_id)
    if action is not None:
        q = q.where(audit_log.c.action == action)
    if actor is not None:
        q = q.where(audit_log.c.actor == actor)
    return [
        AuditEntry(r.ts_ms, r.actor, r.role, r.action, r.target, r.community, r.outcome, r.detail, r.address, int(r.id))
        for r in conn.execute(q)
    ]
