"""Counters of one ingest worker."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class IngestStats:
    """What a worker received, stored, dropped as duplicate and rejected (by reason)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    batches: int = 0
    store_errors: int = 0
    lost: int = 0  # stream seqs given up as lost (cloud.delivery)
    rejects: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)  # stored, but stamped far from their arrival
    connected: bool = False
    subscribed: bool = False

    def as_dict(self) -> dict[str, object]:
        """JSON-ready view."""
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "batches": self.batches,
            "store_errors": self.store_errors,
            "lost": self.lost,
            "rejected": sum(self.rejects.values()),
            "rejects": dict(self.rejects),
            "flagged": dict(self.flagged),
            "connected": self.connected,
            "subscribed": self.subscribed,
        }
