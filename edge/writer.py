"""One thread that does every disk write of the agent, in order, off the hot path.

paho sends what a message callback publishes only after the callback returns, so the
shed client's callback decides, publishes the relay commands and hands the disk work
here: a relay-off goes out before any fsync. Writes stay in submission order, so seqs
follow the order of decisions. A crash can lose only what is still queued (milliseconds).
"""

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("shedwatch.edge.writer")

Job = Callable[[], object]


class Writer:
    """A single-threaded, ordered job queue for disk writes."""

    def __init__(self, on_done: Callable[[], None] | None = None) -> None:
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._on_done = on_done
        self._thread = threading.Thread(target=self._run, name="edge-writer", daemon=True)
        self.failures = 0

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue a write; it runs after every earlier one."""
        self._jobs.put(job)

    def close(self, timeout: float = 10.0) -> None:
        """Finish every queued write, then stop."""
        self._jobs.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:  # a failed write must not stop the ones after it
                self.failures += 1
                log.exception("disk write failed")
            if self._on_done is not None and self._jobs.empty():
                self._on_done()
