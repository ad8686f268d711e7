"""The durable outbox between decisions and the cloud uplink: SQLite in WAL mode, on disk.

Every stream message (telemetry batch, event, command result) gets the shed's next
``seq`` in the same transaction that stores it, so a seq is never reused or skipped, even
after SIGKILL or a power cut (``synchronous=FULL``: a commit is on disk before we go on).
Rows leave only when the cloud broker acknowledged them (QoS 1 PUBACK). Oldest first.

When the file outgrows its quota, the oldest telemetry batches are thinned in place to
one mean point per device and socket (a rollup) under the same seq; events and command
results are never thinned or dropped.

Raw readings waiting for the next batch are staged in the same database, committed
without fsync: they survive SIGKILL; a power cut may lose the last batch interval of raw
telemetry, never a numbered message.
"""

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from edge.batching import fit
from edge.errors import OutboxError
from protocol.codec import MAX_PAYLOAD_BYTES

PayloadBuilder = Callable[[int], bytes]  # seq -> payload bytes
BatchBuilder = Callable[[int, list[dict[str, Any]]], bytes]  # seq, points -> payload bytes

KIND_TELEMETRY = "telemetry"
KIND_EVENT = "event"
KIND_RESULT = "result"
DEVICE_MSGS_KEPT = 10_000  # device messages remembered on disk against redelivery after a crash

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    thinned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_kind_seq ON outbox (kind, seq);
CREATE TABLE IF NOT EXISTS parked (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS device_msgs (src TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (src, seq, ts));
CREATE TABLE IF NOT EXISTS staged (id INTEGER PRIMARY KEY AUTOINCREMENT, points BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS latches (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS config (version INTEGER PRIMARY KEY, body TEXT NOT NULL, applied_ts INTEGER NOT NULL);
-- an authorised shed's charging sessions: the active ones, and the last ended ones (ids never started again)
CREATE TABLE IF NOT EXISTS charge_sessions (
    session TEXT PRIMARY KEY,
    active INTEGER NOT NULL,
    body TEXT NOT NULL,
    updated INTEGER NOT NULL
);
"""
ENDED_SESSIONS_KEPT = 1000
SessionRow = tuple[str, bool, dict[str, Any]]  # session id, active, record (edge.sessions_state.ChargeSession)


@dataclass(frozen=True, slots=True)
class Row:
    """One stored message."""

    seq: int
    kind: str
    topic: str
    payload: bytes


class Outbox:
    """A thread-safe on-disk queue with the shed's seq counter, the command audit and config versions."""

    def __init__(self, path: str | Path, *, quota_bytes: int = 256 * 1024 * 1024) -> None:
        self.path = Path(path)
        self.quota_bytes = quota_bytes
        self._lock = threading.Lock()
        self.thinned_total = 0
        self._staged_msgs = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"cannot open outbox {self.path}: {exc}") from None
        # a new store (first start, or a lost data directory) numbers from 1: until the cloud's
        # acknowledgement says where its stream stands, the uplink holds it back (see rebase)
        self.fresh = self._db.execute("SELECT 1 FROM meta WHERE key='numbered'").fetchone() is None
        self._next_seq = self._load_next_seq()

    def _load_next_seq(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='next_seq'").fetchone()
        stored = int(row[0]) if row else 1
        top = self._db.execute("SELECT MAX(seq) FROM outbox").fetchone()[0]
        return max(stored, (top or 0) + 1)

    @property
    def last_seq(self) -> int:
        """The last seq issued (0 when none yet)."""
        return self._next_seq - 1

    def add(self, kind: str, topic: str, build: PayloadBuilder) -> int:
        """Store one message; ``build(seq)`` makes its payload with the seq assigned here."""
        return self.add_many([(kind, topic, build)])[0]

    def add_many(
        self, items: Iterable[tuple[str, str, PayloadBuilder]], sessions: Sequence[SessionRow] = ()
    ) -> list[int]:
        """Store several messages in one transaction (one fsync); returns their seqs.

        ``sessions``: charging session records stored in the same transaction, so a session and the events
        that tell the cloud about it are both kept or both lost.
        """
        with self._lock:
            seqs: list[int] = []
            seq = self._next_seq
            rows = []
            for kind, topic, build in items:
                rows.append((seq, kind, topic, build(seq)))
                seqs.append(seq)
                seq += 1
            if not rows and not sessions:
                return seqs
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT INTO outbox (seq, kind, topic, payload) VALUES (?, ?, ?, ?)", rows)
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_seq', ?)", (seq,))
                if sessions:
                    self._save_sessions(sessions)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise OutboxError(f"outbox write failed: {exc}") from None
            self._next_seq = seq
        return seqs

    def stage(self, points: list[dict[str, Any]], source: tuple[str, int, int] | None = None) -> bool:
        """Keep raw readings until the next batch; committed without fsync (survives SIGKILL, cheap).

        ``source`` is the device message's (src, seq, ts): a message staged once is not staged again
        (the shed broker redelivers one whose acknowledgement a SIGKILL cut off, to a process whose
        in-memory replay check starts empty). Returns False for such a copy.
        """
        if not points:
            return True
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                self._db.execute("BEGIN IMMEDIATE")
                if source is not None:
                    cur = self._db.execute("INSERT OR IGNORE INTO device_msgs (src, seq, ts) VALUES (?, ?, ?)", source)
                    if cur.rowcount == 0:
                        self._db.execute("ROLLBACK")
                        return False
                self._db.execute("INSERT INTO staged (points) VALUES (?)", (orjson.dumps(points),))
                self._db.execute("COMMIT")
                self._staged_msgs += 1
                if source is not None and self._staged_msgs % DEVICE_MSGS_KEPT == 0:
                    # bounded: a redelivery comes within seconds; keep the newest DEVICE_MSGS_KEPT only
                    self._db.execute(
                        "DELETE FROM device_msgs WHERE rowid <= (SELECT max(rowid) FROM device_msgs) - ?",
                        (DEVICE_MSGS_KEPT,),
                    )
                return True
            finally:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                self._db.execute("PRAGMA synchronous=FULL")

    def batch_staged(
        self,
        kind: str,
        topic: str,
        build: BatchBuilder,
        max_points: int = 10_000,
        max_bytes: int = MAX_PAYLOAD_BYTES,
    ) -> list[int]:
        """Turn every staged reading into numbered batches in one transaction; returns their seqs.

        Each batch holds at most ``max_points`` points and its payload at most ``max_bytes`` bytes
        (edge.batching.fit), so no batch is larger than the contract or the cloud broker allows.
        """
        with self._lock:
            staged = self._db.execute("SELECT id, points FROM staged ORDER BY id").fetchall()
            if not staged:
                return []
            points: list[dict[str, Any]] = []
            for _, body in staged:
                points.extend(orjson.loads(body))
            seq = self._next_seq
            rows = []
            for payload in fit(points, first_seq=seq, build=build, max_points=max_points, max_bytes=max_bytes):
                rows.append((seq, kind, topic, payload))
                seq += 1
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT INTO outbox (seq, kind, topic, payload) VALUES (?, ?, ?, ?)", rows)
                self._db.execute("DELETE FROM staged WHERE id <= ?", (staged[-1][0],))
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_seq', ?)", (seq,))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise OutboxError(f"outbox write failed: {exc}") from None
            first = self._next_seq
            self._next_seq = seq
            return list(range(first, seq))

    def after(self, seq: int, limit: int) -> list[Row]:
        """The oldest stored messages with a seq above ``seq``."""
        with self._lock:
            cur = self._db.execute(
                "SELECT seq, kind, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            )
            return [Row(int(s), k, t, bytes(p)) for s, k, t, p in cur]

    def pending(self, *, urgent_after: int, telemetry_after: int, limit: int) -> list[Row]:
        """The next rows to send: events and results (alarms, interlocks, answers) before any telemetry.

        ``urgent_after`` and ``telemetry_after`` are the last seqs already sent of each class, so
        an interlock stored behind a long telemetry backlog leaves next, not after the backlog.
        """
        with self._lock:
            cur = self._db.execute(
                "SELECT seq, kind, topic, payload FROM outbox WHERE kind != ? AND seq > ? ORDER BY seq LIMIT ?",
                (KIND_TELEMETRY, urgent_after, limit),
            )
            rows = [Row(int(s), k, t, bytes(p)) for s, k, t, p in cur]
            if len(rows) < limit:
                cur = self._db.execute(
                    "SELECT seq, kind, topic, payload FROM outbox WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?",
                    (KIND_TELEMETRY, telemetry_after, limit - len(rows)),
                )
                rows += [Row(int(s), k, t, bytes(p)) for s, k, t, p in cur]
            return rows

    def shrink(self, seq: int) -> bytes | None:
        """Thin one stored telemetry batch to its rollup (same seq) and return the new payload; None if absent."""
        with self._lock:
            row = self._db.execute("SELECT payload FROM outbox WHERE seq = ? AND kind = ?", (seq, KIND_TELEMETRY))
            found = row.fetchone()
            if found is None:
                return None
            payload = rollup(bytes(found[0]))
            self._db.execute("UPDATE outbox SET payload = ?, thinned = 1 WHERE seq = ?", (payload, seq))
            self.thinned_total += 1
            return payload

    def park(self, seq: int, reason: str) -> None:
        """Move a row the broker refuses out of the queue (kept on disk for an operator, never resent)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR REPLACE INTO parked (seq, kind, topic, payload, reason) "
                "SELECT seq, kind, topic, payload, ? FROM outbox WHERE seq = ?",
                (reason, seq),
            )
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            self._db.execute("COMMIT")

    def parked(self) -> list[tuple[int, str, str]]:
        """Every parked row as (seq, kind, reason), oldest first."""
        with self._lock:
            return [(int(s), k, r) for s, k, r in self._db.execute("SELECT seq, kind, reason FROM parked ORDER BY seq")]

    def ack(self, seqs: Iterable[int]) -> None:
        """Forget messages the cloud broker acknowledged."""
        batch = [(s,) for s in seqs]
        if not batch:
            return
        with self._lock:
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", batch)

    def ack_through(self, seq: int) -> int:
        """Forget every row at or below ``seq`` (the cloud stored them); returns how many went."""
        with self._lock:
            return int(self._db.execute("DELETE FROM outbox WHERE seq <= ?", (seq,)).rowcount)

    def rebase(self, first: int) -> int:
        """Renumber every waiting row from ``first`` on, oldest first, and issue later seqs after them.

        For a store that lost its history (a new data directory): the cloud already holds seqs up to
        ``first - 1`` from before, and would drop these rows as duplicates. Returns the rows renumbered.
        """
        with self._lock:
            rows = self._db.execute("SELECT seq, kind, topic, payload FROM outbox ORDER BY seq").fetchall()
            renumbered = []
            for i, (_, kind, topic, payload) in enumerate(rows):
                doc = orjson.loads(payload)
                doc["seq"] = first + i
                renumbered.append((first + i, kind, topic, orjson.dumps(doc)))
            next_seq = max(self._next_seq, first + len(rows))
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("DELETE FROM outbox")
                self._db.executemany("INSERT INTO outbox (seq, kind, topic, payload) VALUES (?, ?, ?, ?)", renumbered)
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_seq', ?)", (next_seq,))
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('numbered', 1)")
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise OutboxError(f"outbox rebase failed: {exc}") from None
            self._next_seq = next_seq
            self.fresh = False
            return len(rows)

    def settle(self) -> None:
        """The numbering is confirmed (the cloud's acknowledgement came): the store is no longer fresh."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('numbered', 1)")
            self.fresh = False

    def oldest(self) -> int:
        """The lowest seq still held (0 when none): what the cloud may still ask for."""
        with self._lock:
            return int(self._db.execute("SELECT coalesce(min(seq), 0) FROM outbox").fetchone()[0])

    def depth(self) -> int:
        """Messages waiting."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def size_bytes(self) -> int:
        """Bytes the database uses (pages in use, without the WAL)."""
        with self._lock:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
            size = self._db.execute("PRAGMA page_size").fetchone()[0]
            return int((pages - free) * size)

    def enforce_quota(self, chunk: int = 200) -> int:
        """Thin the oldest unthinned telemetry to rollups while over quota; returns how many were thinned."""
        thinned = 0
        while self.size_bytes() > self.quota_bytes:
            with self._lock:
                rows = self._db.execute(
                    "SELECT seq, payload FROM outbox WHERE kind = ? AND thinned = 0 ORDER BY seq LIMIT ?",
                    (KIND_TELEMETRY, chunk),
                ).fetchall()
                if not rows:
                    break  # nothing left to thin: events are never dropped, so we run over quota
                updates = [(rollup(bytes(p)), int(s)) for s, p in rows]
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("UPDATE outbox SET payload = ?, thinned = 1 WHERE seq = ?", updates)
                self._db.execute("COMMIT")
            thinned += len(rows)
        self.thinned_total += thinned
        return thinned

    # -- small persistent counters, the command audit and config versions --------------------------

    def get(self, key: str) -> int:
        """A persistent counter's value (0 when never set)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            return int(row[0]) if row else 0

    def put(self, key: str, value: int) -> None:
        """Set a persistent counter."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def bump(self, key: str) -> int:
        """Increment a persistent counter (e.g. the session number) and return it."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            value = (int(row[0]) if row else 0) + 1
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            self._db.execute("COMMIT")
            return value

    def audit(
        self, *, ts: int, request_id: str, actor: str, action: str, target: str, status: str, detail: str
    ) -> None:
        """Record a command and what came of it."""
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (ts, request_id, actor, action, target, status, detail) VALUES (?,?,?,?,?,?,?)",
                (ts, request_id, actor, action, target, status, detail),
            )

    def audit_rows(self) -> list[tuple[int, str, str, str, str, str, str]]:
        """Every audited command, oldest first."""
        with self._lock:
            cur = self._db.execute(
                "SELECT ts, request_id, actor, action, target, status, detail FROM audit ORDER BY id"
            )
            return [tuple(r) for r in cur]

    def save_latches(self, latches: list[dict[str, Any]]) -> None:
        """Replace the stored safety latches (fsynced: a latch must survive a power cut)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("DELETE FROM latches")
                self._db.executemany(
                    "INSERT INTO latches (body) VALUES (?)", [(orjson.dumps(x).decode(),) for x in latches]
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                # rolled back: an open transaction left behind would fail every later write of the outbox
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise OutboxError(f"latches not stored: {exc}") from None

    def load_latches(self) -> tuple[list[dict[str, Any]], int]:
        """The stored safety latches (and stops), and how many rows could not be read (1: not the table at all).

        Never raises: the caller fails safe on what it cannot read (edge.stops.hold_all) instead of not starting.
        """
        with self._lock:
            try:
                rows = [row[0] for row in self._db.execute("SELECT body FROM latches ORDER BY id")]
            except sqlite3.Error:
                return [], 1
        records: list[dict[str, Any]] = []
        for body in rows:
            try:
                rec = orjson.loads(body)
            except (orjson.JSONDecodeError, TypeError):
                rec = None
            if isinstance(rec, dict):
                records.append(rec)
        return records, len(rows) - len(records)

    def _save_sessions(self, sessions: Sequence[SessionRow]) -> None:
        """Upsert session records (inside the caller's transaction); keep the newest ended ones only."""
        top = self._db.execute("SELECT COALESCE(MAX(updated), 0) FROM charge_sessions").fetchone()[0]
        self._db.executemany(
            "INSERT OR REPLACE INTO charge_sessions (session, active, body, updated) VALUES (?, ?, ?, ?)",
            [
                (sid, int(active), orjson.dumps(rec).decode(), top + i + 1)
                for i, (sid, active, rec) in enumerate(sessions)
            ],
        )
        if any(not active for _sid, active, _rec in sessions):
            self._db.execute(
                "DELETE FROM charge_sessions WHERE active = 0 AND session NOT IN "
                "(SELECT session FROM charge_sessions WHERE active = 0 ORDER BY updated DESC LIMIT ?)",
                (ENDED_SESSIONS_KEPT,),
            )

    def load_sessions(self) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        """The stored active session records, and the ended ones as (id, reason), oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT active, body FROM charge_sessions ORDER BY updated").fetchall()
        active: list[dict[str, Any]] = []
        ended: list[tuple[str, str]] = []
        for is_active, body in rows:
            try:
                rec = orjson.loads(body)
            except orjson.JSONDecodeError:
                continue  # a damaged row: the session cannot be enforced, the edge cuts what has none
            if not isinstance(rec, dict):
                continue
            if is_active:
                active.append(rec)
            else:
                ended.append((str(rec.get("session")), str(rec.get("reason") or "")))
        return active, ended

    def save_config(self, version: int, body: str, ts: int) -> None:
        """Persist an applied config version."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO config (version, body, applied_ts) VALUES (?, ?, ?)", (version, body, ts)
            )

    def latest_config(self) -> str | None:
        """The body of the newest applied config, if any."""
        with self._lock:
            row = self._db.execute("SELECT body FROM config ORDER BY version DESC LIMIT 1").fetchone()
            return str(row[0]) if row else None

    def close(self) -> None:
        """Close the database (everything is already committed)."""
        with self._lock:
            self._db.close()


def rollup(payload: bytes) -> bytes:
    """Thin a TelemetryBatch JSON to one point per (device, socket): mean of each field, last ts."""
    doc = orjson.loads(payload)
    groups: dict[tuple[str, int | None], dict[str, object]] = {}
    sums: dict[tuple[str, int | None], dict[str, float]] = {}
    counts: dict[tuple[str, int | None], int] = {}
    for point in doc.get("points", []):
        key = (point["device"], point.get("socket"))
        g = groups.setdefault(key, {"device": point["device"]})
        if point.get("socket") is not None:
            g["socket"] = point["socket"]
        g["ts"] = max(int(g.get("ts", 0)), int(point["ts"]))  # type: ignore[call-overload]
        acc = sums.setdefault(key, {})
        for name, value in point["fields"].items():
            acc[name] = acc.get(name, 0.0) + float(value)
        counts[key] = counts.get(key, 0) + 1
    points = []
    for key, g in groups.items():
        n = counts[key]
        g["fields"] = {name: round(total / n, 3) for name, total in sums[key].items()}
        points.append(g)
    doc["points"] = points
    return orjson.dumps(doc)
