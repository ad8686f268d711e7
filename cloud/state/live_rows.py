"""Live state rows: load the core's ShedLive from the sheds and sockets tables, and persist what it decided.

Nothing here decides: the reducers in cloud.core.live do, inside the ingest transaction;
these functions only read the rows they start from and write back the difference.
"""

from collections.abc import Collection

from sqlalchemy import Connection, delete, select, update

from cloud.core.live import ShedLive, SocketLive, SocketStop
from cloud.state.dialect import upsert_insert
from cloud.state.schema import sheds, sockets
from protocol.uplink import SocketStatus

# A shed row counts as live state once an edge said anything about it.
_HEARD = (sheds.c.birth_seq >= 0) | (sheds.c.updated_ts > 0) | (sheds.c.session > 0) | (sheds.c.last_seen_ms > 0)


def load_sheds(conn: Connection, only: Collection[str] | None = None) -> dict[str, ShedLive]:
    """ShedLive of every shed heard from (or of ``only`` those, heard from or not)."""
    q_sheds = select(sheds)
    q_sockets = select(sockets)
    if only is not None:
        q_sheds = q_sheds.where(sheds.c.shed.in_(list(only)))
        q_sockets = q_sockets.where(sockets.c.shed.in_(list(only)))
    else:
        q_sheds = q_sheds.where(_HEARD)
    out: dict[str, ShedLive] = {}
    for r in conn.execute(q_sheds):
        out[r.shed] = ShedLive(
            r.shed,
            birth_seq=r.birth_seq,
            session=r.session,
            dead_session=r.dead_session,
            updated_ts=r.updated_ts,
            last_seen_ms=r.last_seen_ms,
            outbox_depth=r.outbox_depth,
            config_version=r.reported_config_version,
        )
    for r in conn.execute(q_sockets):
        shed = out.get(r.shed)
        if shed is not None:
            stop = SocketStop(r.stopped_by, r.stopped_ts) if r.stopped_ts is not None else None
            shed.sockets[(r.device, r.socket)] = SocketLive(SocketStatus(r.status), r.seq, r.ts, stop, r.stop_seq)
    return out


def persist_shed(conn: Connection, before: ShedLive, after: ShedLive) -> None:
    """Write the difference between two decided states of one shed."""
    head = (
        "birth_seq",
        "session",
        "dead_session",
        "updated_ts",
        "last_seen_ms",
        "outbox_depth",
    )
    changes: dict[str, object] = {k: getattr(after, k) for k in head if getattr(after, k) != getattr(before, k)}
    if after.config_version != before.config_version:
        changes["reported_config_version"] = after.config_version
    changes["online"] = after.online  # kept for readers of the table; the core derives it from the sessions
    if changes:
        conn.execute(update(sheds).where(sheds.c.shed == after.shed).values(**changes))
    gone = [k for k in before.sockets if k not in after.sockets]
    for device, number in gone:
        conn.execute(
            delete(sockets).where(sockets.c.shed == after.shed, sockets.c.device == device, sockets.c.socket == number)
        )
    rows = [_row(after.shed, d, n, s) for (d, n), s in after.sockets.items() if before.sockets.get((d, n)) != s]
    if rows:
        stmt = upsert_insert(conn)(sockets)
        stmt = stmt.on_conflict_do_update(
            index_elements=["shed", "device", "socket"],
            set_={k: stmt.excluded[k] for k in _SOCKET_COLUMNS},
        )
        conn.execute(stmt, rows)


_SOCKET_COLUMNS = ("status", "seq", "ts", "stopped_ts", "stopped_by", "stop_seq")


def _row(shed: str, device: str, number: int, s: SocketLive) -> dict[str, object]:
    """One socket's row: status and stop as the core decided them."""
    return {
        "shed": shed,
        "device": device,
        "socket": number,
        "status": s.status.value,
        "seq": s.seq,
        "ts": s.ts,
        "stopped_ts": s.stop.ts if s.stop is not None else None,
        "stopped_by": s.stop.actor if s.stop is not None else None,
        "stop_seq": s.stop_seq,
    }
