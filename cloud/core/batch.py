"""The batch model: one batch of raw MQTT messages sorted into validated work and rejects (pure data).

Stream messages (telemetry, events, results) share one per-shed seq, so (src, seq)
identifies each; lifecycle messages (state, heartbeat) repeat the last stream seq and
are kept apart from the stream. Each validated message travels with its cloud arrival
time (epoch ms).
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from cloud.core.rows import BatchLike
from protocol.uplink import (
    AlarmCleared,
    AlarmRaised,
    CommandResult,
    DeviceStatusChanged,
    EdgeHeartbeat,
    EdgeState,
    InterlockAction,
    SocketStatusChanged,
)

EdgeEvent = AlarmRaised | AlarmCleared | InterlockAction | SocketStatusChanged | DeviceStatusChanged


class RawMessage(NamedTuple):
    """One message as the broker delivered it (a tuple: built once per message on the hot path)."""

    topic: str
    payload: bytes
    received_ms: int


@dataclass(frozen=True, slots=True)
class Reject:
    """A message the contract refused, with a stable reason code."""

    topic: str
    reason: str
    detail: str
    payload: bytes
    received_ms: int


@dataclass(slots=True)
class Batch:
    """Validated messages of one batch, by kind, plus the rejects."""

    telemetry: list[tuple[BatchLike, int]] = field(default_factory=list)
    events: list[tuple[EdgeEvent, int]] = field(default_factory=list)
    results: list[tuple[CommandResult, int]] = field(default_factory=list)
    states: list[tuple[EdgeState, int]] = field(default_factory=list)
    heartbeats: list[tuple[EdgeHeartbeat, int]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    duplicates: int = 0

    @property
    def accepted(self) -> int:
        """Messages that passed validation (duplicates inside the batch not counted)."""
        return len(self.telemetry) + len(self.events) + len(self.results) + len(self.states) + len(self.heartbeats)
