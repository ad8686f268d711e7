"""This process's live state: written by the ingest writer or the feed follower, read by the API."""

import threading
from collections.abc import Mapping

from cloud.core.live import Availability, LiveState, ShedLive, SocketLive, shed_availability


class LiveView:
    """The decided LiveState behind a lock, plus the community of each shed."""

    def __init__(self, live: LiveState, communities: dict[str, str]) -> None:
        self._live = live
        self._communities = communities
        self._lock = threading.Lock()
        # Bumped on every change, so readers can keep what they derived (an encoded response) until it moves.
        self.version = 0
        # The version at which each shed last changed, and at which every shed did (a re-read or new communities):
        # a view of one shed stays valid while the others move.
        self._shed_changed: dict[str, int] = {}
        self._all_changed = 0

    def update(self, sheds: Mapping[str, ShedLive]) -> None:
        """Take the newly decided state of some sheds (copies: the caller keeps its own)."""
        with self._lock:
            for shed, live in sheds.items():
                self._live.sheds[shed] = live.copy()
            self.version += 1
            for shed in sheds:
                self._shed_changed[shed] = self.version

    def replace(self, live: LiveState, communities: dict[str, str]) -> None:
        """Swap in state re-read from the store."""
        with self._lock:
            self._live = live
            self._communities = communities
            self.version += 1
            self._all_changed = self.version

    def set_communities(self, communities: dict[str, str]) -> None:
        """The inventory changed."""
        with self._lock:
            if communities != self._communities:
                self._communities = communities
                self.version += 1
                self._all_changed = self.version

    def shed_version(self, shed: str) -> int:
        """The version at which this shed's live state (or its community) last changed."""
        with self._lock:
            return max(self._shed_changed.get(shed, 0), self._all_changed)

    def availability(self) -> list[Availability]:
        """Counts per shed, sorted by shed id."""
        with self._lock:
            return self._live.availability(self._communities)

    def shed_availability(self, shed: str) -> Availability | None:
        """One shed's counts, or None when the shed was never heard from."""
        with self._lock:
            live = self._live.sheds.get(shed)
            return shed_availability(live, self._communities.get(shed, "")) if live is not None else None

    def community(self, shed: str) -> str:
        """The shed's community ("" when the inventory does not name one)."""
        with self._lock:
            return self._communities.get(shed, "")

    def socket(self, shed: str, device: str, socket: int) -> tuple[SocketLive, bool] | None:
        """One socket's live state and whether its edge is online, or None when unknown."""
        with self._lock:
            live = self._live.sheds.get(shed)
            found = live.sockets.get((device, socket)) if live else None
            return (found, live.online) if found is not None and live is not None else None

    def shed(self, shed: str) -> ShedLive | None:
        """A copy of one shed's live state, None when never heard from."""
        with self._lock:
            live = self._live.sheds.get(shed)
            return live.copy() if live is not None else None

    def snapshot(self) -> dict[str, ShedLive]:
        """Copies of every shed (for comparisons and the restart test)."""
        with self._lock:
            return {s: v.copy() for s, v in self._live.sheds.items()}
