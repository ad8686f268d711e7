"""The event feed in the state store: append a shed's domain events at its next positions, read them back.

Positions are per shed, 1, 2, 3, ... without holes, taken from ``sheds.feed_head`` under
the shed's row lock in the ingest transaction; so a reader that sees position n committed
has every position below it too, whatever order other sheds' transactions commit in
(a global autoincrement id would not give that on PostgreSQL).
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

from pydantic import ValidationError
from sqlalchemy import Connection, select, update

from cloud.core.eventcodec import event_from_json, event_to_json
from cloud.core.events import AnyEvent
from cloud.state.dialect import upsert_insert
from cloud.state.schema import feed, feed_cursors, sheds

log = logging.getLogger(__name__)


def append(conn: Connection, events: Sequence[AnyEvent]) -> list[AnyEvent]:
    """Store the events at their sheds' next positions; the events with their positions set."""
    if not events:
        return []
    by_shed: dict[str, list[AnyEvent]] = {}
    for e in events:
        by_shed.setdefault(e.shed, []).append(e)
    heads = {
        r[0]: r[1] for r in conn.execute(select(sheds.c.shed, sheds.c.feed_head).where(sheds.c.shed.in_(list(by_shed))))
    }
    out: list[AnyEvent] = []
    rows = []
    for shed, items in by_shed.items():
        head = heads[shed]
        for e in items:
            head += 1
            placed = replace(e, position=head)
            out.append(placed)
            rows.append({"shed": shed, "position": head, "kind": e.kind, "body": event_to_json(placed).decode()})
        conn.execute(update(sheds).where(sheds.c.shed == shed).values(feed_head=head))
    conn.execute(feed.insert(), rows)
    return out


def heads(conn: Connection) -> dict[str, int]:
    """The newest position of every shed that has a feed."""
    return {r[0]: r[1] for r in conn.execute(select(sheds.c.shed, sheds.c.feed_head).where(sheds.c.feed_head > 0))}


def read(conn: Connection, shed: str, after: int, limit: int) -> list[AnyEvent]:
    """Up to ``limit`` events of one shed after position ``after``, in order; an unreadable row is skipped, logged."""
    rows = conn.execute(
        select(feed.c.position, feed.c.body)
        .where(feed.c.shed == shed, feed.c.position > after)
        .order_by(feed.c.position)
        .limit(limit)
    )
    out: list[AnyEvent] = []
    for position, body in rows:
        try:
            out.append(replace(event_from_json(body), position=position))
        except ValidationError as exc:  # a row a newer cloud wrote: never stop the feed for it
            log.error("feed: cannot read %s #%d: %s", shed, position, exc)
    return out


def load_cursor(conn: Connection, subscriber: str) -> dict[str, int]:
    """A durable subscriber's last position per shed."""
    q = select(feed_cursors.c.shed, feed_cursors.c.position).where(feed_cursors.c.subscriber == subscriber)
    return {r[0]: r[1] for r in conn.execute(q)}


def save_cursor(conn: Connection, subscriber: str, positions: Mapping[str, int]) -> None:
    """Store a durable subscriber's positions (upsert per shed)."""
    if not positions:
        return
    stmt = upsert_insert(conn)(feed_cursors)
    stmt = stmt.on_conflict_do_update(index_elements=["subscriber", "shed"], set_={"position": stmt.excluded.position})
    conn.execute(stmt, [{"subscriber": subscriber, "shed": s, "position": p} for s, p in positions.items()])
