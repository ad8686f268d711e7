"""The versioned MQTT topic tree: builders, filters and a strict parser.

Shed broker (devices <-> edge)::

    sw/v1/shed/{shed}/dev/{device}/telemetry      post   -> edge
    sw/v1/shed/{shed}/dev/{device}/heartbeat      post   -> edge
    sw/v1/shed/{shed}/dev/{device}/relay/set      edge   -> post
    sw/v1/shed/{shed}/dev/{device}/relay/result   post   -> edge
    sw/v1/shed/{shed}/dev/{device}/keepalive      edge   -> post   supervision watchdog
    sw/v1/shed/{shed}/dev/{device}/extinguisher   sensor -> edge
    sw/v1/shed/{shed}/dev/{device}/environment    sensor -> edge

Cloud broker (edge <-> cloud)::

    sw/v1/edge/{shed}/telemetry    edge  -> cloud   batched telemetry
    sw/v1/edge/{shed}/event        edge  -> cloud   alarms, interlocks, socket status
    sw/v1/edge/{shed}/result       edge  -> cloud   command results
    sw/v1/edge/{shed}/state        edge  -> cloud   birth / death (retained; death is the will)
    sw/v1/edge/{shed}/heartbeat    edge  -> cloud
    sw/v1/cloud/{shed}/command     cloud -> edge
    sw/v1/cloud/{shed}/config      cloud -> edge    retained, versioned
    sw/v1/cloud/{shed}/ack         cloud -> edge    retained: stored through seq, and seqs to send again
"""

from dataclasses import dataclass
from enum import StrEnum

from protocol.errors import TopicError
from protocol.ids import is_valid_id

ROOT = "sw/v1"


class Kind(StrEnum):
    """Every kind of message in the tree; the value is the topic suffix."""

    POST_TELEMETRY = "telemetry"
    POST_HEARTBEAT = "heartbeat"
    RELAY_SET = "relay/set"
    RELAY_RESULT = "relay/result"
    KEEPALIVE = "keepalive"
    EXTINGUISHER = "extinguisher"
    ENVIRONMENT = "environment"
    EDGE_TELEMETRY = "edge/telemetry"
    EDGE_EVENT = "edge/event"
    EDGE_RESULT = "edge/result"
    EDGE_STATE = "edge/state"
    EDGE_HEARTBEAT = "edge/heartbeat"
    CLOUD_COMMAND = "cloud/command"
    CLOUD_CONFIG = "cloud/config"
    CLOUD_ACK = "cloud/ack"


DEVICE_KINDS = frozenset(
    {
        Kind.POST_TELEMETRY,
        Kind.POST_HEARTBEAT,
        Kind.RELAY_SET,
        Kind.RELAY_RESULT,
        Kind.KEEPALIVE,
        Kind.EXTINGUISHER,
        Kind.ENVIRONMENT,
    }
)
_DEVICE_SUFFIX = {k.value: k for k in DEVICE_KINDS}
_SHED_KINDS = {
    ("edge", "telemetry"): Kind.EDGE_TELEMETRY,
    ("edge", "event"): Kind.EDGE_EVENT,
    ("edge", "result"): Kind.EDGE_RESULT,
    ("edge", "state"): Kind.EDGE_STATE,
    ("edge", "heartbeat"): Kind.EDGE_HEARTBEAT,
    ("cloud", "command"): Kind.CLOUD_COMMAND,
    ("cloud", "config"): Kind.CLOUD_CONFIG,
    ("cloud", "ack"): Kind.CLOUD_ACK,
}
_SHED_SUFFIX = {v: k for k, v in _SHED_KINDS.items()}


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic; raises TopicError on construction when it is not valid."""

    kind: Kind
    shed: str
    device: str | None = None

    def __post_init__(self) -> None:
        if not is_valid_id(self.shed):
            raise TopicError(f"invalid shed id {self.shed!r}")
        if self.kind in DEVICE_KINDS:
            if self.device is None or not is_valid_id(self.device):
                raise TopicError(f"invalid device id {self.device!r} for {self.kind.name}")
        elif self.device is not None:
            raise TopicError(f"{self.kind.name} topics carry no device id")

    def __str__(self) -> str:
        if self.kind in DEVICE_KINDS:
            return f"{ROOT}/shed/{self.shed}/dev/{self.device}/{self.kind.value}"
        side, leaf = _SHED_SUFFIX[self.kind]
        return f"{ROOT}/{side}/{self.shed}/{leaf}"


def device_topic(kind: Kind, shed: str, device: str) -> str:
    """Topic of a device-level message on the shed broker."""
    return str(Topic(kind, shed, device))


def shed_topic(kind: Kind, shed: str) -> str:
    """Topic of an edge <-> cloud message for one shed."""
    return str(Topic(kind, shed))


def device_filter(shed: str, kind: Kind | None = None, device: str = "+") -> str:
    """Subscription filter for device messages of one shed (all kinds when kind is None)."""
    if kind is None:
        return f"{ROOT}/shed/{shed}/dev/{device}/#"
    return f"{ROOT}/shed/{shed}/dev/{device}/{kind.value}"


def shed_filter(kind: Kind, shed: str = "+") -> str:
    """Subscription filter for one edge <-> cloud kind over one shed or all ('+')."""
    side, leaf = _SHED_SUFFIX[kind]
    return f"{ROOT}/{side}/{shed}/{leaf}"


def parse_topic(topic: str) -> Topic:
    """Parse a concrete topic (no wildcards) or raise TopicError naming why."""
    parts = topic.split("/")
    if len(parts) < 4 or "/".join(parts[:2]) != ROOT:
        raise TopicError(f"topic {topic!r} is not under {ROOT}/")
    rest = parts[2:]
    if rest[0] == "shed":
        if len(rest) < 5 or rest[2] != "dev":
            raise TopicError(f"topic {topic!r}: expected {ROOT}/shed/<shed>/dev/<device>/<kind>")
        kind = _DEVICE_SUFFIX.get("/".join(rest[4:]))
        if kind is None:
            raise TopicError(f"topic {topic!r}: unknown device message kind {'/'.join(rest[4:])!r}")
        return Topic(kind, rest[1], rest[3])
    if len(rest) != 3:
        raise TopicError(f"topic {topic!r}: expected {ROOT}/<edge|cloud>/<shed>/<kind>")
    shed_kind = _SHED_KINDS.get((rest[0], rest[2]))
    if shed_kind is None:
        raise TopicError(f"topic {topic!r}: unknown kind {rest[0]}/{rest[2]!r}")
    return Topic(shed_kind, rest[1])
