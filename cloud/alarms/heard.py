"""The per-device record ingest keeps for the leader's device-silent and post-over-limit rules (thread-safe).

Ingest's writer thread calls ``on_batch`` after each stored batch; the alarm thread reads ``facts`` on its
timer tick. The record lives in this process's memory only: it is fed by the ingest worker of the same process
(the one-property deployment: ingest inside the API process). With ingest in other processes the runner gets no
book and both rules stay off (docs/alarms.md). After a restart nothing is known: every device gets the rule's
whole window from the start (``cloud.core.alarms.heard.seen_ms``).
"""

import threading
from collections.abc import Iterable
from dataclasses import replace

from cloud.core.alarms.heard import ShedHeard, observe, over_since_ms, over_watts, prune, seen_ms
from cloud.core.alarms.model import Alarm
from cloud.core.alarms.rules import RulePolicy, ShedFacts, edge_offline
from cloud.core.batch import Batch
from protocol.clock import Clock

EDGE_DEVICE_OFFLINE = "device_offline"  # the edge's own alarm for a device it stopped hearing (edge/liveness.py)
SPARE_DEVICES = 64  # devices outside the inventory a shed's record may hold before the leader prunes them


class HeardBook:
    """Per shed: when each device was last heard and each post's power run, on this process's monotonic clock."""

    def __init__(self, clock: Clock, *, post_limit_w: float) -> None:
        self.clock = clock
        self.default_limit_w = post_limit_w
        self._lock = threading.Lock()
        self._sheds: dict[str, ShedHeard] = {}
        self._limits: dict[str, float] = {}
        self.pruned = 0  # readings' devices forgotten because the inventory does not name them
        self._edge_back: dict[str, int] = {}  # leader thread only: shed -> mono ms its edge was first seen online

    def on_batch(self, batch: Batch) -> None:
        """Take a batch the stores have just committed (the cloud's receipt: stored now)."""
        if not batch.telemetry:
            return
        at = self.clock.mono_ms()
        with self._lock:
            for message, _received in batch.telemetry:
                heard = self._sheds.get(message.src)
                if heard is None:
                    heard = self._sheds[message.src] = ShedHeard()
                observe(heard, message.points, at, self._limits.get(message.src, self.default_limit_w))

    def set_limit(self, shed: str, limit_w: float) -> None:
        """The shed's post limit (its config's ``post_limit_w``); runs already open keep their start."""
        with self._lock:
            self._limits[shed] = limit_w

    def facts(
        self, shed: str, devices: list[str], now_ms: int, *, since_mono: int, fresh_ms: int
    ) -> tuple[dict[str, int], dict[str, int], dict[str, float]]:
        """(device_seen_ms, post_over_since_ms, post_watts of those posts) of ``shed`` as the rules take them (see
        cloud.core.alarms.heard)."""
        mono = self.clock.mono_ms()
        with self._lock:
            heard = self._sheds.get(shed, ShedHeard())
            if len(heard.devices) > len(devices) + SPARE_DEVICES:
                self.pruned += prune(heard, set(devices))
            over = over_since_ms(heard, now_ms, mono, fresh_ms)
            return seen_ms(heard, devices, now_ms, mono, since_mono), over, over_watts(heard, over)

    def complete(
        self, facts: ShedFacts, devices: list[str], open_alarms: Iterable[Alarm], now_ms: int, policy: RulePolicy
    ) -> ShedFacts:
        """``facts`` with the shed's device and post facts (the leader thread, once per shed and timer pass).

        Silence counts from when this leader first saw the edge online (since its start, or since the edge came
        back): while the edge is away its devices' readings cannot arrive, and an edge back online drains them.
        A device whose ``device_offline`` the edge has raised (still active) is the edge's to report.
        """
        mono = self.clock.mono_ms()
        if facts.edge_last_seen_ms is None or edge_offline(facts, now_ms, policy):
            self._edge_back.pop(facts.shed, None)  # the window starts again at the first pass that sees it back
            since = mono
        else:
            since = self._edge_back.setdefault(facts.shed, mono)
        seen, over, watts = self.facts(
            facts.shed, devices, now_ms, since_mono=since, fresh_ms=int(policy.device_silent_s * 1000)
        )
        reported = frozenset(a.key.device for a in open_alarms if a.key.alarm_type == EDGE_DEVICE_OFFLINE and a.active)
        limit = self.limit_of(facts.shed)
        return replace(
            facts,
            device_seen_ms=seen,
            devices_reported_offline=reported,
            post_over_since_ms=over,
            post_watts=watts,
            post_limit_w=limit,
        )

    def limit_of(self, shed: str) -> float:
        """The post limit ``shed``'s runs are judged by."""
        with self._lock:
            return self._limits.get(shed, self.default_limit_w)
