"""The embedded telemetry store: SQLite in WAL mode, one row per point, minute and hour rollups.

One row per point (the fields as a JSON object) keeps the hot write path to one
short row; rollups unpack the fields with json_each. Rollups are recomputed for
exactly the buckets that received rows since the last run (a rowid watermark), so
late data from an edge's outbox replay lands in the right buckets too.
"""

import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import orjson

from cloud.core.rows import BatchLike
from cloud.errors import StoreError
from cloud.telemetry.base import BUCKET_MS, Resolution, Sample, SeriesKey

DAY_MS = 86_400_000
log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series(
  id INTEGER PRIMARY KEY, shed TEXT NOT NULL, device TEXT NOT NULL, socket INTEGER NOT NULL,
  UNIQUE(shed, device, socket));
CREATE TABLE IF NOT EXISTS seen(src TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,
  PRIMARY KEY(src, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS raw(id INTEGER PRIMARY KEY, series INTEGER NOT NULL, ts INTEGER NOT NULL,
  fields TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS raw_series_ts ON raw(series, ts);
CREATE TABLE IF NOT EXISTS minute(series INTEGER NOT NULL, field TEXT NOT NULL, bucket INTEGER NOT NULL,
  n INTEGER NOT NULL, total REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,
  PRIMARY KEY(series, field, bucket)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hour(series INTEGER NOT NULL, field TEXT NOT NULL, bucket INTEGER NOT NULL,
  n INTEGER NOT NULL, total REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,
  PRIMARY KEY(series, field, bucket)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS arrivals(at_ms INTEGER PRIMARY KEY, max_id INTEGER NOT NULL);
"""
# Whole batches go in as one JSON array and one statement: executemany would release and retake the GIL
# for every row, and with the MQTT thread running that hand-off costs more than the insert itself.
_INSERT_RAW = "INSERT INTO raw(series, ts, fields) SELECT value->>0, value->>1, value->2 FROM json_each(?)"
_INSERT_SEEN = "INSERT OR IGNORE INTO seen(src, seq, ts) SELECT value->>0, value->>1, value->>2 FROM json_each(?)"
_NO_SOCKET = 0  # socket numbers start at 1; 0 stands for "the device itself" so UNIQUE works


class SqliteTelemetryStore:
    """TelemetryStore on one SQLite file; safe to share between threads and processes."""

    def __init__(
        self,
        path: Path,
        *,
        raw_retention_days: float = 7,
        minute_retention_days: float = 90,
        hour_retention_days: float = 3650,
        synchronous: str = "FULL",
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention_ms = {
            Resolution.RAW: int(raw_retention_days * DAY_MS),
            Resolution.MINUTE: int(minute_retention_days * DAY_MS),
            Resolution.HOUR: int(hour_retention_days * DAY_MS),
        }
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str, int], int] = {}
        try:
            self._db = self._connect(synchronous)
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"telemetry store {path}: {exc}") from exc

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE, so the
        # dedupe check and the insert happen under one write lock even across processes.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it returns, so an ack after it never loses data on power loss.
        db.execute(f"PRAGMA synchronous={synchronous}")
        return db

    def _series_id(self, shed: str, device: str, socket: int) -> int:
        key = (shed, device, socket)
        sid = self._series.get(key)
        if sid is None:
            self._db.execute("INSERT OR IGNORE INTO series(shed, device, socket) VALUES (?,?,?)", key)
            sid = int(
                self._db.execute("SELECT id FROM series WHERE shed=? AND device=? AND socket=?", key).fetchone()[0]
            )
            self._series[key] = sid
        return sid

    def write(self, batches: Sequence[BatchLike]) -> int:
        """Store new batches in one transaction; (src, seq) already seen are skipped."""
        if not batches:
            return 0
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                fresh = self._claim(batches)
                rows: list[tuple[int, int, dict[str, float]]] = []
                series = self._series
                for b in fresh:
                    for p in b.points:
                        key = (b.src, p.device, p.socket or _NO_SOCKET)
                        sid = series.get(key) or self._series_id(*key)
                        rows.append((sid, p.ts, p.fields))
                db.execute(_INSERT_RAW, (orjson.dumps(rows).decode(),))
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                self._series.clear()  # ids inserted in the rolled-back transaction are gone
                raise StoreError(f"telemetry write: {exc}") from exc
        return len(fresh)

    def _claim(self, batches: Sequence[BatchLike]) -> Sequence[BatchLike]:
        # Record (src, seq) of every batch; return those not seen before. One executemany in the common
        # case (nothing seen yet); only when a replay is among them, one statement per batch to find it.
        db = self._db
        before = db.total_changes
        db.execute("SAVEPOINT claim")
        db.execute(_INSERT_SEEN, (orjson.dumps([(b.src, b.seq, b.ts) for b in batches]).decode(),))
        if db.total_changes - before == len(batches) and len({(b.src, b.seq) for b in batches}) == len(batches):
            db.execute("RELEASE claim")
            return batches
        db.execute("ROLLBACK TO claim")
        db.execute("RELEASE claim")
        return [
            b
            for b in batches
            if db.execute("INSERT OR IGNORE INTO seen VALUES (?,?,?)", (b.src, b.seq, b.ts)).rowcount == 1
        ]

    def query(self, key: SeriesKey, start_ms: int, end_ms: int, resolution: Resolution) -> list[Sample]:
        """Samples of one series in [start_ms, end_ms), oldest first."""
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM series WHERE shed=? AND device=? AND socket=?",
                (key.shed, key.device, key.socket or _NO_SOCKET),
            ).fetchone()
            if row is None:
                return []
            if resolution is Resolution.RAW:
                path = f"$.{key.field}"  # field names match ^[a-z][a-z0-9_]*$: safe inside a JSON path
                cur = self._db.execute(
                    "SELECT ts, json_extract(fields, ?) FROM raw WHERE series=? AND ts>=? AND ts<? ORDER BY ts, id",
                    (path, row[0], start_ms, end_ms),
                )
                return [Sample(ts, v, v, v, 1) for ts, v in cur if v is not None]
            table = "minute" if resolution is Resolution.MINUTE else "hour"
            cur = self._db.execute(
                f"SELECT bucket, total / n, lo, hi, n FROM {table} "
                "WHERE series=? AND field=? AND bucket>=? AND bucket<? ORDER BY bucket",
                (row[0], key.field, start_ms, end_ms),
            )
            return [Sample(*r) for r in cur]

    def latest(self, shed: str, since_ms: int) -> dict[tuple[str, int | None], tuple[int, dict[str, float]]]:
        """The newest raw reading at or after ``since_ms`` of every device (and socket) of ``shed``: its time and
        fields, by (device, socket or None). One statement for the whole shed (the staff API's live view)."""
        with self._lock:
            # SQLite's bare-column rule: with max(), the other columns come from the row holding the maximum.
            rows = self._db.execute(
                "SELECT s.device, s.socket, max(r.ts), r.fields FROM series s JOIN raw r ON r.series = s.id "
                "WHERE s.shed=? AND r.ts>=? GROUP BY r.series",
                (shed, since_ms),
            ).fetchall()
        return {(d, n or None): (int(ts), orjson.loads(fields)) for d, n, ts, fields in rows}

    def maintain(self, now_ms: int) -> None:
        """Recompute the rollup buckets touched since the last run, then apply retention.

        The heavy part, aggregating every raw row of the touched minutes (JSON fields unpacked), runs on a
        connection of its own in a read transaction: in WAL mode it reads a snapshot while ingest goes on writing
        (Python's sqlite3 releases the GIL inside each step). Only writing the aggregates (a row per series,
        field and minute) takes the store's lock and SQLite's write lock. Before, the whole roll-up held both: at
        20,000 points/s that is about 1.2 million rows a minute, seconds during which every telemetry write,
        and the alarm events queued behind it on the one ingest writer, waited.
        Rows stored after the snapshot have higher ids than its ``top`` and are rolled up by the next run
        (their buckets are recomputed whole), so nothing is counted twice or missed.
        """
        minute, hour = BUCKET_MS[Resolution.MINUTE], BUCKET_MS[Resolution.HOUR]
        try:
            wm, top, rows = self._aggregate_touched(minute)
        except sqlite3.Error as exc:
            raise StoreError(f"telemetry maintenance: {exc}") from exc
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                done = db.execute("SELECT value FROM meta WHERE key='rolled_raw_id'").fetchone()
                if top > wm and (done[0] if done else 0) == wm:
                    db.executemany(
                        "INSERT OR REPLACE INTO minute(series, field, bucket, n, total, lo, hi) VALUES (?,?,?,?,?,?,?)",
                        rows,
                    )
                    db.execute("CREATE TEMP TABLE IF NOT EXISTS touched_h(series INTEGER, b INTEGER)")
                    db.execute("DELETE FROM touched_h")
                    hours = {(r[0], r[2] // hour * hour) for r in rows}
                    db.executemany("INSERT INTO touched_h VALUES (?, ?)", sorted(hours))
                    db.execute(
                        "INSERT OR REPLACE INTO hour(series, field, bucket, n, total, lo, hi) "
                        "SELECT m.series, m.field, t.b, sum(m.n), sum(m.total), min(m.lo), max(m.hi) "
                        f"FROM touched_h t JOIN minute m ON m.series = t.series AND m.bucket >= t.b "
                        f"AND m.bucket < t.b + {hour} GROUP BY m.series, m.field, t.b"
                    )
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('rolled_raw_id', ?)", (top,))
                self._retain(db, now_ms, max(top, wm))
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise StoreError(f"telemetry maintenance: {exc}") from exc

    def _aggregate_touched(self, minute: int) -> tuple[int, int, list[tuple[int, str, int, int, float, float, float]]]:
        """(watermark, top raw id, minute aggregates of every bucket a raw row in (watermark, top] falls in),
        read in one snapshot on a connection of its own (no store lock, no write lock)."""
        reader = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            reader.execute("BEGIN")  # one snapshot for the watermark, top and the aggregates
            wm_row = reader.execute("SELECT value FROM meta WHERE key='rolled_raw_id'").fetchone()
            wm = int(wm_row[0]) if wm_row else 0
            top = int(reader.execute("SELECT coalesce(max(id), 0) FROM raw").fetchone()[0])
            rows: list[tuple[int, str, int, int, float, float, float]] = []
            if top > wm:
                rows = reader.execute(
                    f"WITH touched AS (SELECT DISTINCT series, ts / {minute} * {minute} AS b FROM raw "
                    "WHERE id > ? AND id <= ?) "
                    "SELECT r.series, j.key, t.b, count(*), sum(j.value), min(j.value), max(j.value) "
                    f"FROM touched t JOIN raw r ON r.series = t.series AND r.ts >= t.b AND r.ts < t.b + {minute} "
                    "JOIN json_each(r.fields) j GROUP BY r.series, j.key, t.b",
                    (wm, top),
                ).fetchall()
            reader.execute("COMMIT")
            return wm, top, rows
        finally:
            reader.close()

    def _retain(self, db: sqlite3.Connection, now_ms: int, top: int) -> None:
        """Apply retention; raw readings by when they arrived, never by the time they carry.

        A reading stamped far in the past (a device clock in 1970, a simulated clock) is kept for the
        whole retention after it arrived. Arrival is marked per maintenance run: (now, highest raw id),
        so a raw row older than the retention is one whose id was already stored at a mark before the cut.
        ``seen`` keys are dropped only when older than every raw row still kept, so a replay of data
        still stored is never stored twice. Logs what it removes.
        """
        raw_cut = now_ms - self.retention_ms[Resolution.RAW]
        db.execute("INSERT OR REPLACE INTO arrivals VALUES (?, ?)", (now_ms, top))
        cut_id = db.execute("SELECT max(max_id) FROM arrivals WHERE at_ms < ?", (raw_cut,)).fetchone()[0]
        raw = db.execute("DELETE FROM raw WHERE id <= ?", (cut_id,)).rowcount if cut_id is not None else 0
        db.execute("DELETE FROM arrivals WHERE at_ms < ?", (raw_cut,))
        oldest = db.execute("SELECT min(ts) FROM raw").fetchone()[0]
        seen_cut = raw_cut if oldest is None else min(raw_cut, oldest)
        db.execute("DELETE FROM seen WHERE ts < ?", (seen_cut,))
        minute = db.execute("DELETE FROM minute WHERE bucket < ?", (now_ms - self.retention_ms[Resolution.MINUTE],))
        hour = db.execute("DELETE FROM hour WHERE bucket < ?", (now_ms - self.retention_ms[Resolution.HOUR],))
        if raw or minute.rowcount or hour.rowcount:
            log.info(
                "retention removed %d raw reading(s) that arrived before %d, %d minute and %d hour bucket(s)",
                raw,
                raw_cut,
                minute.rowcount,
                hour.rowcount,
            )

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
