"""The state store: one SQLAlchemy engine (SQLite or PostgreSQL), migrated by Alembic at open.

Every write of an ingest batch is one transaction. A shed's writes take that shed's
row lock first, then the core's reducers (cloud.core) decide live state and domain
events from the rows as they stand; the store persists both and never re-derives a
rule in SQL. So workers racing on one shed converge on the state seq order gives.
"""

import fcntl
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from cloud.commands.request import CommandRecord
from cloud.core.batch import Batch
from cloud.core.events import AnyEvent
from cloud.core.live import LiveState, ShedLive
from cloud.core.reduce import reduce_batch
from cloud.core.registry import Registry
from cloud.errors import StoreError
from cloud.state import command_rows, inventory
from cloud.state import feed as feed_rows
from cloud.state.dialect import upsert_insert
from cloud.state.live_rows import load_sheds, persist_shed
from cloud.state.schema import (
    dead_letters,
    edge_states,
    events,
    results,
    sheds,
)
from protocol.config import ShedConfig
from protocol.shedfile import CameraLink

_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_PG_MIGRATE_LOCK = 0x5348_4544  # 'SHED': one migrating process at a time


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one state write did: new stream messages, the domain events it stored (positions set), and the
    decided live state of every shed the batch touched."""

    new: int = 0
    events: list[AnyEvent] = field(default_factory=list)
    sheds: dict[str, ShedLive] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One rejected message as stored."""

    id: int
    received_ms: int
    topic: str
    reason: str
    detail: str
    payload: bytes


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Take the write lock at BEGIN: two processes never both read-then-write the same shed row.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class StateStore:
    """Relational state: sheds, devices, socket status, events, results, edge states, dead letters."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine: Engine = create_engine(url, pool_pre_ping=True)
        except SQLAlchemyError as exc:
            raise StoreError(f"state store {url!r}: {exc}") from exc
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            db = self.engine.url.database
            if db and db != ":memory:":
                Path(db).parent.mkdir(parents=True, exist_ok=True)
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # pysqlite's own transaction handling is off, so BEGIN IMMEDIATE is ours to issue.
            event.listen(self.engine, "connect", lambda c, _r: setattr(c, "isolation_level", None))
            event.listen(self.engine, "begin", _sqlite_begin)

    # -- lifecycle ------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (serialised across processes)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with self._migrate_lock(), self.engine.connect() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
        except SQLAlchemyError as exc:
            raise StoreError(f"migrating {self.engine.url!r}: {exc}") from exc

    @contextmanager
    def _migrate_lock(self) -> Iterator[None]:
        if self.is_sqlite:
            db = self.engine.url.database
            if not db or db == ":memory:":
                yield
                return
            with open(f"{db}.migrate-lock", "w") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                yield
            return
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATE_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATE_LOCK})

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    # -- inventory ------------------------------------------------------------------------------

    def register_shed(self, config: ShedConfig) -> None:
        """Record a shed, its posts and devices from its config (idempotent)."""
        with self.engine.begin() as conn:
            inventory.register(conn, config)

    def import_inventory(
        self, config: ShedConfig, *, actor: str, now_ms: int, cameras: Sequence[CameraLink] | None = None
    ) -> int:
        """Register the shed, version its config when it changed, replace its camera links when given (one
        transaction); the config version now held. See cloud.state.inventory.import_shed."""
        try:
            with self.engine.begin() as conn:
                return inventory.import_shed(conn, config, actor=actor, now_ms=now_ms, links=cameras)
        except SQLAlchemyError as exc:
            raise StoreError(f"importing shed {config.shed}: {exc}") from exc

    def cameras(self, shed: str) -> list[CameraLink]:
        """The camera links of a shed, by id."""
        with self.engine.connect() as conn:
            return inventory.camera_links(conn, shed)

    def newest_config(self, shed: str) -> ShedConfig | None:
        """The newest config version the cloud holds for a shed."""
        with self.engine.connect() as conn:
            return inventory.newest_config(conn, shed)

    def reported_config_version(self, shed: str) -> int:
        """The config version the shed's edge last reported in its birth (0 when never)."""
        with self.engine.connect() as conn:
            return inventory.reported_config_version(conn, shed)

    def registry(self, *, strict: bool = False) -> Registry:
        """Devices of every registered shed."""
        with self.engine.connect() as conn:
            return inventory.registry(conn, strict=strict)

    def communities(self) -> dict[str, str]:
        """Community of every shed that has one."""
        with self.engine.connect() as conn:
            return inventory.community_of_sheds(conn)

    # -- commands -------------------------------------------------------------------------------

    def record_command(self, record: CommandRecord) -> None:
        """Audit a command the cloud is about to send."""
        try:
            with self.engine.begin() as conn:
                command_rows.record(conn, record)
        except SQLAlchemyError as exc:
            raise StoreError(f"recording command {record.request_id}: {exc}") from exc

    def command(self, shed: str, request_id: str) -> CommandRecord | None:
        """A command's audit row with the edge's answer once it came."""
        with self.engine.connect() as conn:
            return command_rows.get(conn, shed, request_id)

    def settle_command(self, shed: str, request_id: str, status: str, detail: str, now_ms: int) -> bool:
        """Close a still unanswered command (timed out, or a push the edge's birth confirmed); False when an
        answer won the race."""
        with self.engine.begin() as conn:
            return command_rows.settle(conn, shed, request_id, status, detail, now_ms)

    # -- ingest ---------------------------------------------------------------------------------

    def write(self, batch: Batch) -> WriteResult:
        """Store a batch's events, results, edge states, heartbeats and rejects in one transaction.

        The core's reducers decide live state and domain events from the rows as they stood under the
        sheds' locks; this persists both. A repeated (src, seq) is skipped and decides nothing.
        """
        if not (batch.events or batch.results or batch.states or batch.heartbeats or batch.rejects):
            return WriteResult()  # telemetry only: no transaction at all
        try:
            with self.engine.begin() as conn:
                return self._write(conn, batch)
        except SQLAlchemyError as exc:
            raise StoreError(f"state write: {exc}") from exc

    def _write(self, conn: Connection, batch: Batch) -> WriteResult:
        touched = sorted(
            {m.src for m, _ in batch.events}
            | {m.src for m, _ in batch.states}
            | {m.src for m, _ in batch.heartbeats}
            | {m.src for m, _ in batch.results}
        )
        if touched:
            self._lock_sheds(conn, touched)
        new: set[tuple[str, int]] = set()
        if batch.events:
            rows = [
                {
                    "src": m.src,
                    "seq": m.seq,
                    "ts": m.ts,
                    "type": m.type,
                    "device": getattr(m, "device", None),
                    "socket": getattr(m, "socket", None),
                    "body": m.model_dump_json(exclude_none=True),
                    "received_ms": rx,
                }
                for m, rx in batch.events
            ]
            stmt = upsert_insert(conn)(events).on_conflict_do_nothing().returning(events.c.src, events.c.seq)
            new.update((r[0], r[1]) for r in conn.execute(stmt, rows))
        if batch.results:
            stmt = upsert_insert(conn)(results).on_conflict_do_nothing().returning(results.c.src, results.c.seq)
            rows = [
                {
                    "src": m.src,
                    "seq": m.seq,
                    "ts": m.ts,
                    "request_id": m.request_id,
                    "status": m.status,
                    "detail": m.detail,
                    "received_ms": rx,
                }
                for m, rx in batch.results
            ]
            new_results = {(r[0], r[1]) for r in conn.execute(stmt, rows)}
            new |= new_results
            for r, rx in batch.results:
                if (r.src, r.seq) in new_results:  # the audit row of a command the cloud sent gets its answer
                    command_rows.answer(conn, r, rx)
        for m, rx in batch.states:
            conn.execute(
                upsert_insert(conn)(edge_states)
                .values(
                    src=m.src,
                    session=m.session,
                    state=m.state,
                    seq=m.seq,
                    ts=m.ts,
                    body=m.model_dump_json(exclude_none=True),
                    received_ms=rx,
                )
                .on_conflict_do_nothing()
            )
        decided: dict[str, ShedLive] = {}
        published: list[AnyEvent] = []
        if touched:
            before = load_sheds(conn, touched)
            for shed in touched:
                before.setdefault(shed, ShedLive(shed))
            live = LiveState({s: b.copy() for s, b in before.items()})
            domain = reduce_batch(live, batch, new)
            for shed in touched:
                persist_shed(conn, before[shed], live.sheds[shed])
            published = feed_rows.append(conn, domain)
            decided = live.sheds
        if batch.rejects:
            conn.execute(
                dead_letters.insert(),
                [
                    {
                        "received_ms": r.received_ms,
                        "topic": r.topic[:1000],
                        "reason": r.reason,
                        "detail": r.detail,
                        "payload": r.payload,
                    }
                    for r in batch.rejects
                ],
            )
        return WriteResult(len(new), published, decided)

    def append_events(self, events: list[AnyEvent]) -> list[AnyEvent]:
        """Store events decided outside a batch (a gap the delivery tracker found) at their sheds' next feed
        positions; the events with positions, to publish."""
        sheds_ = sorted({e.shed for e in events})
        if not sheds_:
            return []
        try:
            with self.engine.begin() as conn:
                self._lock_sheds(conn, sheds_)
                return feed_rows.append(conn, events)
        except SQLAlchemyError as exc:
            raise StoreError(f"appending events: {exc}") from exc

    def _lock_sheds(self, conn: Connection, names: list[str]) -> None:
        """Make sure the sheds' rows exist and lock them for this transaction, sorted so two workers never
        deadlock (PostgreSQL row locks; SQLite holds the file's write lock since BEGIN IMMEDIATE)."""
        conn.execute(upsert_insert(conn)(sheds).on_conflict_do_nothing(), [{"shed": s} for s in names])
        if not self.is_sqlite:
            conn.execute(select(sheds.c.shed).where(sheds.c.shed.in_(names)).order_by(sheds.c.shed).with_for_update())

    # -- reads ----------------------------------------------------------------------------------

    def load_live(self) -> LiveState:
        """Live state as the reducers last decided it, for every shed ever heard from."""
        with self.engine.connect() as conn:
            return LiveState(load_sheds(conn))

    def load_sheds(self, only: Collection[str]) -> dict[str, ShedLive]:
        """The decided state of some sheds (those never heard from come back empty)."""
        with self.engine.connect() as conn:
            found = load_sheds(conn, only)
        return {s: found.get(s) or ShedLive(s) for s in only}

    # -- feed -----------------------------------------------------------------------------------

    def feed_heads(self) -> dict[str, int]:
        """Newest feed position per shed."""
        with self.engine.connect() as conn:
            return feed_rows.heads(conn)

    def read_feed(self, shed: str, after: int, limit: int = 1000) -> list[AnyEvent]:
        """A shed's domain events after a position, oldest first."""
        with self.engine.connect() as conn:
            return feed_rows.read(conn, shed, after, limit)

    def load_cursor(self, subscriber: str) -> dict[str, int]:
        """A durable subscriber's stored positions."""
        with self.engine.connect() as conn:
            return feed_rows.load_cursor(conn, subscriber)

    def save_cursor(self, subscriber: str, positions: Mapping[str, int]) -> None:
        """Store a durable subscriber's positions."""
        try:
            with self.engine.begin() as conn:
                feed_rows.save_cursor(conn, subscriber, positions)
        except SQLAlchemyError as exc:
            raise StoreError(f"saving cursor of {subscriber}: {exc}") from exc

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The newest rejects first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(dead_letters).order_by(dead_letters.c.id.desc()).limit(limit))
            return [DeadLetter(r.id, r.received_ms, r.topic, r.reason, r.detail, bytes(r.payload)) for r in rows]

    def count(self, table: str) -> int:
        """Rows in one table (for tests, drills and benchmarks)."""
        from cloud.state.schema import metadata

        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one())
