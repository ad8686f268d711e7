"""Every model round-trips; every rejection names its reason and field."""

import contextlib
import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.codec import ADAPTERS, MAX_PAYLOAD_BYTES, decode, decode_message, encode
from protocol.errors import PayloadError
from protocol.examples import T0, examples
from protocol.topics import Kind, Topic

ALL = [(kind, topic, msg) for kind, pairs in examples().items() for topic, msg in pairs]
IDS = [f"{k.name}-{getattr(m, 'type', getattr(m, 'state', ''))}" for k, _t, m in ALL]


def test_every_kind_has_an_example() -> None:
    assert {k for k, _t, _m in ALL} == set(Kind) == set(ADAPTERS)


@pytest.mark.parametrize(("kind", "topic", "msg"), ALL, ids=IDS)
def test_round_trip(kind: Kind, topic: Topic, msg: Any) -> None:
    payload = encode(msg)
    parsed, back = decode_message(str(topic), payload)
    assert parsed == topic
    assert back == msg
    assert encode(back) == payload


def _mutate(msg: Any, change: Any) -> bytes:
    doc = json.loads(encode(msg))
    change(doc)
    return json.dumps(doc).encode()


MUTATIONS = [
    ("missing_field", "src", lambda d: d.pop("src")),
    ("missing_field", "seq", lambda d: d.pop("seq")),
    ("wrong_type", "seq", lambda d: d.update(seq="12")),
    ("wrong_type", "ts", lambda d: d.update(ts=1.5)),
    ("invalid_value", "seq", lambda d: d.update(seq=-1)),
    ("invalid_value", "ts", lambda d: d.update(ts=-1)),  # before any epoch (1970 itself is accepted: a Pi at boot)
    ("invalid_value", "src", lambda d: d.update(src="a/b")),
    ("unknown_field", "surprise", lambda d: d.update(surprise=1)),
    ("unsupported_version", "v", lambda d: d.update(v=2)),
    ("unsupported_version", "v", lambda d: d.pop("v")),
]


@pytest.mark.parametrize(("kind", "topic", "msg"), ALL, ids=IDS)
@pytest.mark.parametrize(("reason", "field", "change"), MUTATIONS, ids=[f"{r}-{f}" for r, f, _c in MUTATIONS])
def test_envelope_rejections_name_reason_and_field(
    kind: Kind, topic: Topic, msg: Any, reason: str, field: str, change: Any
) -> None:
    with pytest.raises(PayloadError) as info:
        decode(kind, _mutate(msg, change))
    assert info.value.reason == reason
    assert field in info.value.detail


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("payload", [b"", b"{", b"[]", b"null", b"42", "ß".encode("latin-1")])
def test_garbage_is_malformed_or_wrong_type(kind: Kind, payload: bytes) -> None:
    with pytest.raises(PayloadError) as info:
        decode(kind, payload)
    assert info.value.reason in ("malformed_json", "wrong_type", "missing_field")


def test_oversized_payload_is_refused_before_parsing() -> None:
    with pytest.raises(PayloadError) as info:
        decode(Kind.EDGE_TELEMETRY, b" " * (MAX_PAYLOAD_BYTES + 1))
    assert info.value.reason == "oversized"


@pytest.mark.parametrize(
    ("kind", "msg_index", "path", "value", "reason"),
    [
        (Kind.POST_TELEMETRY, 0, ("sockets", 0, "state"), "gone", "invalid_value"),
        (Kind.POST_TELEMETRY, 0, ("sockets", 0, "power_w"), 1e10, "invalid_value"),  # -5 W is accepted (meters)
        (Kind.POST_TELEMETRY, 0, ("sockets", 0, "socket"), 0, "invalid_value"),
        (Kind.POST_TELEMETRY, 0, ("sockets", 0, "relay"), "on", "wrong_type"),
        (Kind.POST_TELEMETRY, 0, ("sockets",), [], "invalid_value"),
        (Kind.EXTINGUISHER, 0, ("pressure_mpa",), "high", "wrong_type"),
        (Kind.EXTINGUISHER, 0, ("battery_pct",), 2e9, "invalid_value"),  # beyond representable (edge judges 101)
        (Kind.ENVIRONMENT, 0, ("h2_ppm",), -2e9, "invalid_value"),
        (Kind.ENVIRONMENT, 0, ("smoke_alarm",), 1, "wrong_type"),
        (Kind.RELAY_SET, 0, ("request_id",), "", "invalid_value"),
        (Kind.RELAY_RESULT, 0, ("ok",), None, "wrong_type"),
        (Kind.POST_HEARTBEAT, 0, ("uptime_s",), -1, "invalid_value"),
        (Kind.EDGE_TELEMETRY, 0, ("points", 0, "fields"), {}, "invalid_value"),
        (Kind.EDGE_TELEMETRY, 0, ("points", 0, "fields"), {"Power W": 1.0}, "invalid_value"),
        (Kind.EDGE_TELEMETRY, 0, ("points", 0, "fields"), {"power_w": "1"}, "wrong_type"),
        (Kind.EDGE_EVENT, 0, ("type",), "alarm_exploded", "unknown_type"),
        (Kind.EDGE_EVENT, 0, ("alarm_class",), "panic", "invalid_value"),
        (Kind.EDGE_EVENT, 2, ("action",), "explode", "invalid_value"),
        (Kind.EDGE_EVENT, 3, ("status",), "busy", "invalid_value"),
        (Kind.EDGE_EVENT, 4, ("online",), "yes", "wrong_type"),
        (Kind.EDGE_RESULT, 0, ("status",), "done", "invalid_value"),
        (Kind.EDGE_STATE, 0, ("state",), "zombie", "invalid_value"),
        (Kind.EDGE_HEARTBEAT, 0, ("outbox_depth",), -3, "invalid_value"),
        (Kind.CLOUD_COMMAND, 0, ("action",), "self_destruct", "invalid_value"),
        (Kind.CLOUD_COMMAND, 0, ("socket",), None, "invalid_value"),
        (Kind.CLOUD_CONFIG, 0, ("config", "thresholds", "over_power_w"), -1, "invalid_value"),
        (Kind.CLOUD_CONFIG, 0, ("config", "posts", 1, "id"), "post-1", "invalid_value"),
        (Kind.CLOUD_CONFIG, 0, ("config", "thresholds", "post_soft_limit_w"), 9000, "invalid_value"),
    ],
)
def test_model_rejections(kind: Kind, msg_index: int, path: tuple[Any, ...], value: Any, reason: str) -> None:
    _topic, msg = examples()[kind][msg_index]
    doc = json.loads(encode(msg))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(PayloadError) as info:
        decode(kind, json.dumps(doc).encode())
    assert info.value.reason == reason, info.value


def test_nan_and_infinity_are_refused() -> None:
    _t, msg = examples()[Kind.ENVIRONMENT][0]
    raw = encode(msg).replace(b'"temp_c":18.4', b'"temp_c":NaN')
    with pytest.raises(PayloadError):
        decode(Kind.ENVIRONMENT, raw)


def test_source_must_match_topic() -> None:
    _topic, msg = examples()[Kind.POST_TELEMETRY][0]
    other = str(Topic(Kind.POST_TELEMETRY, "shed-a", "post-9"))
    with pytest.raises(PayloadError) as info:
        decode_message(other, encode(msg))
    assert info.value.reason == "source_mismatch"
    _topic, msg = examples()[Kind.EDGE_EVENT][0]
    with pytest.raises(PayloadError) as info:
        decode_message(str(Topic(Kind.EDGE_EVENT, "shed-b")), encode(msg))
    assert info.value.reason == "source_mismatch"


def test_command_targets_are_checked() -> None:
    _t, msg = examples()[Kind.CLOUD_COMMAND][0]
    doc = orjson.loads(encode(msg))
    doc["action"] = "push_config"
    with pytest.raises(PayloadError, match="push_config needs config"):
        decode(Kind.CLOUD_COMMAND, orjson.dumps(doc))
    assert msg.expired(T0 + 60_000) and not msg.expired(T0 + 59_999)


@given(st.binary(max_size=300))
def test_decode_never_raises_anything_else(payload: bytes) -> None:
    for kind in Kind:
        with contextlib.suppress(PayloadError):
            decode(kind, payload)


def test_docs_protocol_md_is_current() -> None:
    from pathlib import Path

    from protocol.docgen import TOPIC_TABLE, render

    assert set(TOPIC_TABLE) == set(Kind)
    doc = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"
    assert doc.read_text() == render(), "run: python -m protocol.docgen > docs/protocol.md"
