"""Encode payloads to bytes and decode-and-validate bytes into payloads.

Decoding never raises anything but PayloadError or TopicError, and every
PayloadError carries a stable ``reason`` (for counters and dead letters) and a
``detail`` naming the exact field and cause.
"""

from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from protocol.commands import Command
from protocol.config import ConfigPush
from protocol.device import (
    EdgeKeepAlive,
    EnvironmentReading,
    ExtinguisherStatus,
    PostHeartbeat,
    PostTelemetry,
    RelayCommand,
    RelayResult,
)
from protocol.errors import PayloadError
from protocol.topics import DEVICE_KINDS, Kind, Topic, parse_topic
from protocol.uplink import (
    EVENT_ADAPTER,
    CommandResult,
    EdgeHeartbeat,
    EdgeState,
    StoredAck,
    TelemetryBatch,
)

MAX_PAYLOAD_BYTES = 1_048_576  # 1 MiB: a 10,000-point batch fits; anything larger is abuse

ADAPTERS: dict[Kind, TypeAdapter[Any]] = {
    Kind.POST_TELEMETRY: TypeAdapter(PostTelemetry),
    Kind.POST_HEARTBEAT: TypeAdapter(PostHeartbeat),
    Kind.RELAY_SET: TypeAdapter(RelayCommand),
    Kind.RELAY_RESULT: TypeAdapter(RelayResult),
    Kind.KEEPALIVE: TypeAdapter(EdgeKeepAlive),
    Kind.EXTINGUISHER: TypeAdapter(ExtinguisherStatus),
    Kind.ENVIRONMENT: TypeAdapter(EnvironmentReading),
    Kind.EDGE_TELEMETRY: TypeAdapter(TelemetryBatch),
    Kind.EDGE_EVENT: EVENT_ADAPTER,
    Kind.EDGE_RESULT: TypeAdapter(CommandResult),
    Kind.EDGE_STATE: TypeAdapter(EdgeState),
    Kind.EDGE_HEARTBEAT: TypeAdapter(EdgeHeartbeat),
    Kind.CLOUD_COMMAND: TypeAdapter(Command),
    Kind.CLOUD_CONFIG: TypeAdapter(ConfigPush),
    Kind.CLOUD_ACK: TypeAdapter(StoredAck),
}

# Messages whose src must equal a topic level: a device speaks for itself, an edge for its shed.
_SRC_IS_TOPIC_LEVEL = DEVICE_KINDS - {Kind.RELAY_SET, Kind.KEEPALIVE} | {
    Kind.EDGE_TELEMETRY,
    Kind.EDGE_EVENT,
    Kind.EDGE_RESULT,
    Kind.EDGE_STATE,
    Kind.EDGE_HEARTBEAT,
}

_REASONS = {
    "json_invalid": "malformed_json",
    "json_type": "malformed_json",
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "union_tag_invalid": "unknown_type",
    "union_tag_not_found": "missing_field",
    "model_type": "wrong_type",
    "model_attributes_type": "wrong_type",
    "dict_type": "wrong_type",
    "list_type": "wrong_type",
    "int_type": "wrong_type",
    "int_from_float": "wrong_type",
    "float_type": "wrong_type",
    "bool_type": "wrong_type",
    "string_type": "wrong_type",
    "enum": "invalid_value",
    "finite_number": "invalid_value",
}


_WIRE = {"wire": True}


def encode(message: BaseModel) -> bytes:
    """Serialise a payload to compact JSON bytes (None fields left out)."""
    return message.model_dump_json(exclude_none=True).encode()


def _explain(exc: ValidationError) -> PayloadError:
    first = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in first["loc"]) or "<root>"
    version_missing = first["type"] == "value_error" and "schema version" in first["msg"]
    if version_missing or (first["loc"] and first["loc"][-1] == "v" and first["type"] == "literal_error"):
        return PayloadError("unsupported_version", f"field v: {first['msg']}")
    reason = _REASONS.get(first["type"], "invalid_value")
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return PayloadError(reason, f"field {loc}: {first['msg']}{more}")


def decode(kind: Kind, payload: bytes | str) -> Any:
    """Validate a payload of a known kind, or raise PayloadError naming why."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError("oversized", f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        return ADAPTERS[kind].validate_json(payload, context=_WIRE)
    except ValidationError as exc:
        raise _explain(exc) from None


def decode_message(topic: str, payload: bytes | str) -> tuple[Topic, Any]:
    """Parse the topic, validate the payload, and check that src matches the topic."""
    parsed = parse_topic(topic)
    message = decode(parsed.kind, payload)
    if parsed.kind in _SRC_IS_TOPIC_LEVEL:
        expected = parsed.device if parsed.kind in DEVICE_KINDS else parsed.shed
        if message.src != expected:
            raise PayloadError("source_mismatch", f"src {message.src!r} does not match topic id {expected!r}")
    return parsed, message
