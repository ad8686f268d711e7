"""Sort one batch of raw MQTT messages into validated work and rejects (pure: no I/O, no clock).

Duplicates inside a batch are dropped here, duplicates across batches by the stores' keys.
The shapes it fills (Batch, RawMessage, Reject) are the core's batch model (cloud.core.batch).
"""

from functools import lru_cache
from typing import Any

from cloud.core.batch import Batch, RawMessage, Reject
from cloud.core.registry import Registry
from cloud.ingest.fastpath import fast_telemetry
from protocol.codec import decode
from protocol.errors import PayloadError, TopicError
from protocol.topics import Kind, Topic, parse_topic

DEAD_LETTER_PAYLOAD_BYTES = 4096  # keep enough of a reject to debug it, never a whole oversized payload

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
