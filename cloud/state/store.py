"""The state store: one SQLAlchemy engine (SQLite or PostgreSQL), migrated by Alembic at open.

Every write of an ingest batch is one transaction. Socket status rows are written
with the same rule as cloud.livestate (newest seq wins; nothing at or below the
shed's birth seq), and a shed's writes take that shed's row lock first, so workers
racing on one shed converge on the state that seq order gives.
"""

import fcntl
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from cloud.errors import SettingsError, StoreError
from cloud.ingest.batch import Batch, Registry
from cloud.livestate import LiveState
from cloud.state.schema import dead_letters, devices, edge_states, events, posts, results, sheds, sockets
from protocol.config import ShedConfig
from protocol.uplink import SocketSnapshot, SocketStatus, SocketStatusChanged

_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_PG_MIGRATE_LOCK = 0x5348_4544  # 'SHED': one migrating process at a time


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
        self._insert = sqlite.insert if self.is_sqlite else postgresql.insert

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

    # -- registry -------------------------------------------------------------------------------

    def register_shed(self, config: ShedConfig) -> None:
        """Record a shed, its posts and devices from its TOML config (idempotent)."""
        kinds = [(p.id, "post") for p in config.posts]
        kinds += [(e, "extinguisher") for e in config.extinguishers] + [(s, "sensor") for s in config.sensors]
        with self.engine.begin() as conn:
            conn.execute(
                self._insert(sheds)
                .values(shed=config.shed, community=config.community, registered=True)
                .on_conflict_do_update(
                    index_elements=["shed"], set_={"community": config.community, "registered": True}
                )
            )
            conn.execute(delete(posts).where(posts.c.shed == config.shed))
            conn.execute(delete(devices).where(devices.c.shed == config.shed))
            if config.posts:
                conn.execute(
                    posts.insert(), [{"shed": config.shed, "post": p.id, "sockets": p.sockets} for p in config.posts]
                )
            if kinds:
                conn.execute(devices.insert(), [{"shed": config.shed, "device": d, "kind": k} for d, k in kinds])

    def registry(self, *, strict: bool = False) -> Registry:
        """Devices of every registered shed."""
        with self.engine.connect() as conn:
            registered = {r.shed for r in conn.execute(select(sheds.c.shed).where(sheds.c.registered))}
            found: dict[str, set[str]] = {s: set() for s in registered}
            for row in conn.execute(select(devices.c.shed, devices.c.device)):
                found.setdefault(row.shed, set()).add(row.device)
        return Registry({s: frozenset(d) for s, d in found.items()}, strict=strict)

    def communities(self) -> dict[str, str]:
        """Community of every shed that has one."""
        with self.engine.connect() as conn:
            return {r.shed: r.community for r in conn.execute(select(sheds.c.shed, sheds.c.community))}

    # -- ingest ---------------------------------------------------------------------------------

    def write(self, batch: Batch) -> int:
        """Store a batch's events, results, edge states, heartbeats and rejects in one transaction.

        Returns how many events and results were new (a repeated (src, seq) is skipped).
        """
        if not (batch.events or batch.results or batch.states or batch.heartbeats or batch.rejects):
            return 0  # telemetry only: no transaction at all
        try:
            with self.engine.begin() as conn:
                return self._write(conn, batch)
        except SQLAlchemyError as exc:
            raise StoreError(f"state write: {exc}") from exc

    def _write(self, conn: Connection, batch: Batch) -> int:
        new = 0
        touched = sorted(
            {m.src for m, _ in batch.events}
            | {m.src for m, _ in batch.states}
            | {m.src for m, _ in batch.heartbeats}
            | {m.src for m, _ in batch.results}
        )
        if touched:
            conn.execute(self._insert(sheds).on_conflict_do_nothing(), [{"shed": s} for s in touched])
            # Row locks in one order (sorted) so two workers never deadlock (PostgreSQL; SQLite locks the file).
            if not self.is_sqlite:
                conn.execute(
                    select(sheds.c.shed).where(sheds.c.shed.in_(touched)).order_by(sheds.c.shed).with_for_update()
                )
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
            stmt = self._insert(events).on_conflict_do_nothing().returning(events.c.seq)
            new += len(conn.execute(stmt, rows).all())
        if batch.results:
            new += len(
                conn.execute(
                    self._insert(results).on_conflict_do_nothing().returning(results.c.seq),
                    [
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
                    ],
                ).all()
            )
        # Births first, in seq order, so a birth and later events in one batch end as seq order says.
        for m, rx in sorted(batch.states, key=lambda x: x[0].seq):
            conn.execute(
                self._insert(edge_states)
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
            if m.state == "birth":
                self._apply_birth(conn, m.src, m.sockets, seq=m.seq, ts=m.ts, session=m.session)
            else:
                conn.execute(
                    update(sheds)
                    .where(sheds.c.shed == m.src, sheds.c.session <= m.session)
                    .values(online=False, updated_ts=self._greatest(sheds.c.updated_ts, m.ts))
                )
        for ev, _rx in batch.events:
            if isinstance(ev, SocketStatusChanged):
                self._apply_status(conn, ev)
        for hb, rx in batch.heartbeats:
            conn.execute(
                update(sheds)
                .where(sheds.c.shed == hb.src)
                .values(last_seen_ms=rx, outbox_depth=hb.outbox_depth, online=True)
            )
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
        return new

    def _greatest(self, col: Any, value: int) -> Any:
        return func.max(col, value) if self.is_sqlite else func.greatest(col, value)

    def _apply_status(self, conn: Connection, m: SocketStatusChanged) -> None:
        birth_seq = conn.execute(select(sheds.c.birth_seq).where(sheds.c.shed == m.src)).scalar_one()
        if m.seq <= birth_seq:
            return
        stmt = self._insert(sockets).values(
            shed=m.src, device=m.device, socket=m.socket, status=m.status.value, seq=m.seq, ts=m.ts
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["shed", "device", "socket"],
            set_={"status": stmt.excluded.status, "seq": stmt.excluded.seq, "ts": stmt.excluded.ts},
            where=sockets.c.seq < stmt.excluded.seq,
        )
        conn.execute(stmt)
        conn.execute(
            update(sheds).where(sheds.c.shed == m.src).values(updated_ts=self._greatest(sheds.c.updated_ts, m.ts))
        )

    def _apply_birth(
        self, conn: Connection, shed: str, snapshot: list[SocketSnapshot], *, seq: int, ts: int, session: int
    ) -> None:
        birth_seq = conn.execute(select(sheds.c.birth_seq).where(sheds.c.shed == shed)).scalar_one()
        conn.execute(
            update(sheds).where(sheds.c.shed == shed, sheds.c.session <= session).values(online=True, session=session)
        )
        if seq < birth_seq:
            return
        conn.execute(delete(sockets).where(sockets.c.shed == shed, sockets.c.seq <= seq))
        if snapshot:
            conn.execute(
                self._insert(sockets).on_conflict_do_nothing(),
                [
                    {
                        "shed": shed,
                        "device": s.device,
                        "socket": s.socket,
                        "status": s.status.value,
                        "seq": seq,
                        "ts": ts,
                    }
                    for s in snapshot
                ],
            )
        conn.execute(
            update(sheds)
            .where(sheds.c.shed == shed)
            .values(birth_seq=seq, updated_ts=self._greatest(sheds.c.updated_ts, ts))
        )

    # -- reads ----------------------------------------------------------------------------------

    def load_live(self) -> LiveState:
        """Rebuild live state from the stored socket rows (every shed ever heard from)."""
        live = LiveState()
        with self.engine.connect() as conn:
            rows: dict[str, list[tuple[str, int, SocketStatus, int, int]]] = {}
            for r in conn.execute(select(sockets)):
                rows.setdefault(r.shed, []).append((r.device, r.socket, SocketStatus(r.status), r.seq, r.ts))
            for r in conn.execute(select(sheds).where((sheds.c.birth_seq >= 0) | (sheds.c.updated_ts > 0))):
                live.restore(
                    r.shed,
                    birth_seq=r.birth_seq,
                    session=r.session,
                    updated_ts=r.updated_ts,
                    online=bool(r.online),
                    sockets=rows.get(r.shed, []),
                )
        return live

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


def load_shed_config(path: Path) -> ShedConfig:
    """The [shed] table of a shed TOML file; SettingsError naming the file and the field when it is not valid."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(f"cannot read shed config {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    table = "[shed]" if "shed" in data else "<root>"
    try:
        return ShedConfig.model_validate(data.get("shed", data), strict=False)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        raise SettingsError(f"{path}: {table}: {loc}: {err['msg']}") from None
