"""One leader at a time for the cloud's timers: a PostgreSQL session advisory lock, or an flock beside SQLite.

The lock lives as long as the connection (PostgreSQL) or the open file (SQLite), so a leader that dies,
even by SIGKILL, releases it and another process takes over on its next try.
"""

import fcntl
import logging
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text

from cloud.state.store import StateStore

log = logging.getLogger(__name__)
LEADER_LOCK = 0x5348_414C  # 'SHAL': the alarm leader


class Leadership:
    """Try to become the leader; ``held`` says whether this process is."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._conn: Connection | None = None
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        """This process leads."""
        return self._conn is not None or self._file is not None

    def try_acquire(self) -> bool:
        """Take the lock if free (never blocks); True when this process leads."""
        if self.held:
            return True
        if self.store.is_sqlite:
            db = self.store.engine.url.database or ""
            if not db or db == ":memory:":
                self._file = open("/dev/null")  # noqa: SIM115 - a private database has one process by definition
                return True
            fh = open(f"{db}.leader-lock", "w")  # noqa: SIM115 - held for the leader's lifetime
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                return False
            self._file = fh
            return True
        conn = self.store.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar())
        conn.commit()
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        """Give the lock up."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def still_held(self) -> bool:
        """Check the PostgreSQL connection is alive (a lost connection means a lost lock)."""
        if self._conn is None:
            return self._file is not None
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except Exception:
            log.warning("leader connection lost: giving up leadership")
            self._conn = None
            return False


def lock_path(store: StateStore) -> Path | None:
    """The SQLite leader lock file, if any (for tests)."""
    db = store.engine.url.database
    return Path(f"{db}.leader-lock") if store.is_sqlite and db and db != ":memory:" else None
