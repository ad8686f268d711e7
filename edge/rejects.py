"""Counting every refused or suspicious input by reason and topic kind, with a log an operator can read.

Every reject is counted (the totals ride on each edge heartbeat, so the cloud shows them);
the log names the first few of each reason in full and then, at most once per period,
one line with the totals since the last such line, so a flood is visible without
drowning the log.
"""

import logging
import threading
from collections import Counter

from protocol.errors import TopicError
from protocol.topics import parse_topic

log = logging.getLogger("shedwatch.edge.rejects")

FIRST_LOGGED = 5  # rejects of one reason logged in full before only totals are logged
TOTALS_EVERY_S = 60.0


def topic_kind(topic: str) -> str:
    """The kind of a topic as counted (``telemetry``, ``cloud/command``...), or ``unparsed``."""
    try:
        return parse_topic(topic).kind.value
    except TopicError:
        return "unparsed"


class RejectLog:
    """Thread-safe counters of rejects by (reason, topic kind) since the agent started."""

    def __init__(self, *, first_logged: int = FIRST_LOGGED, totals_every_s: float = TOTALS_EVERY_S) -> None:
        self.first_logged = first_logged
        self.totals_every_s = totals_every_s
        self._counts: Counter[tuple[str, str]] = Counter()
        self._by_reason: Counter[str] = Counter()
        self._since_totals: Counter[str] = Counter()
        self._last_totals: float | None = None
        self._lock = threading.Lock()

    def reject(self, reason: str, topic: str, detail: str, now: float) -> None:
        """Count a refused message; ``now`` is monotonic seconds."""
        self.note(reason, topic_kind(topic))
        with self._lock:
            n = self._by_reason[reason]
            self._since_totals[reason] += 1
        if n <= self.first_logged:
            log.warning("rejected message on %s (%s, %d so far): %s", topic, reason, n, detail)
        self.periodic_totals(now)

    def note(self, reason: str, kind: str) -> None:
        """Count an input by reason and topic kind without logging it (taken, but worth knowing)."""
        with self._lock:
            self._counts[(reason, kind)] += 1
            self._by_reason[reason] += 1

    def periodic_totals(self, now: float) -> None:
        """Log one line of totals since the last one, at most every ``totals_every_s``."""
        with self._lock:
            if self._last_totals is not None and now - self._last_totals < self.totals_every_s:
                return
            self._last_totals = now
            since, self._since_totals = self._since_totals, Counter()
        if since:
            parts = ", ".join(f"{r}={n}" for r, n in sorted(since.items()))
            log.warning("rejected in the last %.0f s: %s", self.totals_every_s, parts)

    def totals(self) -> list[tuple[str, str, int]]:
        """Every count as (reason, topic kind, count), sorted."""
        with self._lock:
            return sorted((r, k, n) for (r, k), n in self._counts.items())

    def count(self, reason: str) -> int:
        """Total of one reason over every topic."""
        with self._lock:
            return self._by_reason[reason]
