"""Sort one batch of raw MQTT messages into validated work and rejects (pure: no I/O, no clock).

Stream messages (telemetry, events, results) share one per-shed seq, so (src, seq)
identifies each; duplicates inside a batch are dropped here, duplicates across
batches by the stores' keys. Lifecycle messages (state, heartbeat) repeat the last
stream seq and are kept apart from the stream.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from cloud.ingest.fastpath import FastBatch, fast_telemetry
from cloud.telemetry.rows import BatchLike
from protocol.codec import decode
from protocol.errors import PayloadError, TopicError
from protocol.topics import Kind, Topic, parse_topic
from protocol.uplink import (
    AlarmCleared,
    AlarmRaised,
    CommandResult,
    DeviceStatusChanged,
    EdgeHeartbeat,
    EdgeState,
    InterlockAction,
    SocketStatusChanged,
    TelemetryBatch,
)

DEAD_LETTER_PAYLOAD_BYTES = 4096  # keep enough of a reject to debug it, never a whole oversized payload
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


class Registry:
    """Known sheds and their devices; an unregistered shed is accepted unless ``strict``."""

    def __init__(self, devices: dict[str, frozenset[str]] | None = None, *, strict: bool = False) -> None:
        self.devices = dict(devices or {})
        self.strict = strict

    def check(self, shed: str, message: Any) -> tuple[str, str] | None:
        """(reason, detail) when the registry refuses this message, else None."""
        known = self.devices.get(shed)
        if known is None:
            return ("unknown_shed", f"shed {shed!r} is not registered") if self.strict else None
        names: list[str] = []
        if isinstance(message, TelemetryBatch | FastBatch):
            names = [p.device for p in message.points]
        elif isinstance(message, EdgeState):
            names = [s.device for s in message.sockets]
        elif getattr(message, "device", None) is not None:
            names = [message.device]
        for name in names:
            if name not in known:
                return "unknown_device", f"device {name!r} is not registered in shed {shed!r}"
        return None


UPLINK_KINDS = frozenset({Kind.EDGE_TELEMETRY, Kind.EDGE_EVENT, Kind.EDGE_RESULT, Kind.EDGE_STATE, Kind.EDGE_HEARTBEAT})
# A fleet has a few topics per shed: parse each once (Topic is frozen, so sharing it is safe).
_parse = lru_cache(maxsize=65_536)(parse_topic)


def decode_uplink(topic_text: str, payload: bytes) -> tuple[Topic, Any]:
    """Like protocol.codec.decode_message, for edge-to-cloud topics only."""
    topic = _parse(topic_text)
    if topic.kind not in UPLINK_KINDS:
        raise PayloadError("wrong_direction", f"{topic.kind.name} is not an edge-to-cloud message")
    message = decode(topic.kind, payload)
    if message.src != topic.shed:
        raise PayloadError("source_mismatch", f"src {message.src!r} does not match topic id {topic.shed!r}")
    return topic, message


def _reject(raw: RawMessage, reason: str, detail: str) -> Reject:
    return Reject(raw.topic, reason, detail[:500], raw.payload[:DEAD_LETTER_PAYLOAD_BYTES], raw.received_ms)


def sort_batch(raws: list[RawMessage], registry: Registry) -> Batch:
    """Validate every message; never raises: anything unexpected becomes a reject."""
    batch = Batch()
    seen: set[tuple[str, int]] = set()
    for raw in raws:
        try:
            topic = _parse(raw.topic)
            message: Any = None
            if topic.kind is Kind.EDGE_TELEMETRY:
                message = fast_telemetry(raw.payload, topic.shed)
            if message is None:
                topic, message = decode_uplink(raw.topic, raw.payload)
        except (PayloadError, TopicError) as exc:
            reason = exc.reason if isinstance(exc, PayloadError) else "bad_topic"
            batch.rejects.append(_reject(raw, reason, str(exc)))
            continue
        except Exception as exc:  # a bug in validation must not stop good data behind it
            batch.rejects.append(_reject(raw, "internal_error", f"{type(exc).__name__}: {exc}"))
            continue
        refused = registry.check(topic.shed, message)
        if refused is not None:
            batch.rejects.append(_reject(raw, *refused))
            continue
        kind = topic.kind
        if kind in (Kind.EDGE_TELEMETRY, Kind.EDGE_EVENT, Kind.EDGE_RESULT):
            key = (message.src, message.seq)
            if key in seen:
                batch.duplicates += 1
                continue
            seen.add(key)
        if kind is Kind.EDGE_TELEMETRY:
            batch.telemetry.append((message, raw.received_ms))
        elif kind is Kind.EDGE_EVENT:
            batch.events.append((message, raw.received_ms))
        elif kind is Kind.EDGE_RESULT:
            batch.results.append((message, raw.received_ms))
        elif kind is Kind.EDGE_STATE:
            batch.states.append((message, raw.received_ms))
        else:
            batch.heartbeats.append((message, raw.received_ms))
    return batch
