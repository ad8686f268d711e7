"""Follow the state store's event feed: the bus across processes (ingest workers elsewhere).

Why a change feed on the state store rather than PostgreSQL LISTEN/NOTIFY or the broker:
it works the same on SQLite (one property) and PostgreSQL (a district); the events are
already written in the ingest transaction, so nothing is published that was not stored
and nothing stored is missed (NOTIFY is lost while no one listens; a broker copy could
be published before or without the commit); and a reader that was down resumes from its
positions. The price is a poll (``poll_s``, default 0.2 s): one small query over the
sheds table, then one per shed that moved.
"""

import logging
import threading

from cloud.bus.publish import Committed
from cloud.core.cursor import Cursor
from cloud.state.store import StateStore

log = logging.getLogger(__name__)


class FeedFollower:
    """Publishes to this process's bus what other processes stored, from the heads at start onwards."""

    def __init__(self, store: StateStore, committed: Committed, *, poll_s: float = 0.2, batch: int = 1000) -> None:
        self.store = store
        self.committed = committed
        self.poll_s = poll_s
        self.batch = batch
        self.cursor = Cursor()
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, heads: dict[str, int] | None = None) -> None:
        """Begin after ``heads``: the feed heads read *before* live state was loaded, so nothing committed in
        between is missed (an event seen twice only reloads a shed's state again)."""
        self.cursor = Cursor(heads if heads is not None else self.store.feed_heads())
        self._thread = threading.Thread(target=self._run, name="feed-follower", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """The polling thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def poll_once(self) -> int:
        """Publish whatever was stored since the last poll; how many events."""
        behind = self.cursor.behind(self.store.feed_heads())
        if not behind:
            return 0
        events = []
        for shed, after in sorted(behind.items()):
            events += self.cursor.admit_all(self.store.read_feed(shed, after, self.batch))
        self.committed(events, self.store.load_sheds(list(behind)))
        return len(events)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                while self.poll_once() >= self.batch:
                    pass
            except Exception:
                self.errors += 1
                log.exception("feed follower: poll failed; retrying")

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
