"""Live state shared between the ingest thread (writer) and the API (readers)."""

import threading

from cloud.ingest.apply import apply_batch
from cloud.ingest.batch import Batch
from cloud.livestate import Availability, LiveState


class LiveView:
    """LiveState behind a lock, plus the community of each shed."""

    def __init__(self, live: LiveState, communities: dict[str, str]) -> None:
        self._live = live
        self._communities = communities
        self._lock = threading.Lock()

    def apply(self, batch: Batch) -> None:
        """Apply a committed batch (called from the ingest writer thread)."""
        with self._lock:
            apply_batch(self._live, batch)

    def replace(self, live: LiveState, communities: dict[str, str]) -> None:
        """Swap in state re-read from the store (when ingest runs in other processes)."""
        with self._lock:
            self._live = live
            self._communities = communities

    def availability(self) -> list[Availability]:
        """Counts per shed, sorted by shed id."""
        with self._lock:
            return self._live.availability(self._communities)
