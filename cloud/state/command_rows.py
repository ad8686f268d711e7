"""The cloud's command audit rows (on a connection): recorded when sent, answered by ingest, or settled."""

from sqlalchemy import Connection, select, update

from cloud.commands.request import CommandRecord
from cloud.state.dialect import upsert_insert
from cloud.state.schema import commands
from protocol.uplink import CommandResult


def record(conn: Connection, rec: CommandRecord) -> None:
    """Audit a command about to be sent (a repeated request id for the shed is kept as first recorded)."""
    conn.execute(
        upsert_insert(conn)(commands)
        .values(
            request_id=rec.request_id,
            shed=rec.shed,
            action=rec.action,
            actor=rec.actor,
            target=rec.target,
            issued_ms=rec.issued_ms,
            expires_ms=rec.expires_ms,
            status=rec.status,
            detail=rec.detail,
        )
        .on_conflict_do_nothing()
    )


def get(conn: Connection, shed: str, request_id: str) -> CommandRecord | None:
    """A command's audit row with the edge's answer once it came."""
    r = conn.execute(select(commands).where(commands.c.shed == shed, commands.c.request_id == request_id)).first()
    if r is None:
        return None
    return CommandRecord(
        r.request_id, r.shed, r.action, r.actor, r.target, r.issued_ms, r.expires_ms, r.status, r.detail, r.answered_ms
    )


def answer(conn: Connection, result: CommandResult, received_ms: int) -> None:
    """Write the edge's answer onto the audit row of a command still waiting (ingest, same transaction)."""
    settle(conn, result.src, result.request_id, result.status, result.detail, received_ms)


def settle(conn: Connection, shed: str, request_id: str, status: str, detail: str, now_ms: int) -> bool:
    """Close a command still waiting; False when it was already answered or settled."""
    n = conn.execute(
        update(commands)
        .where(commands.c.shed == shed, commands.c.request_id == request_id, commands.c.status == "sent")
        .values(status=status, detail=detail, answered_ms=now_ms)
    ).rowcount
    return bool(n)
