"""Fleet mode without a broker: counts, rates, payload splicing and raw MQTT framing."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.brokerurl import BrokerUrl
from protocol.codec import decode
from protocol.device import PostTelemetry
from protocol.topics import Kind
from simulators.fleet import FleetSpec, payload_template
from simulators.rawmqtt import RawPublisher, _read_varint, _receive_maximum, varint


def test_spec_counts_are_exact() -> None:
    spec = FleetSpec(sheds=20, posts=100, sockets=10, interval_s=0.1, duration_s=10)
    assert spec.post_count == 2000 and spec.rate == 20_000 and spec.total == 200_000
    assert FleetSpec(sheds=1, posts=1, sockets=1, interval_s=10, duration_s=1).total == 1


@pytest.mark.parametrize(
    "kwargs",
    [{"sheds": 0}, {"sockets": 65}, {"interval_s": 0}, {"duration_s": -1}, {"qos": 2}, {"connections": 0}],
)
def test_bad_specs_are_refused(kwargs: dict[str, float]) -> None:
    base = {"sheds": 1, "posts": 1, "sockets": 1, "interval_s": 1.0, "duration_s": 1.0}
    with pytest.raises(ValueError):
        FleetSpec(**{**base, **kwargs})  # type: ignore[arg-type]


@given(seq=st.integers(0, 2**40), ts=st.integers(1_577_836_800_000, 4_102_444_800_000), sockets=st.integers(1, 64))
def test_spliced_payloads_are_valid_contract_messages(seq: int, ts: int, sockets: int) -> None:
    head, middle, tail = payload_template("post-007", sockets, random.Random(sockets))
    msg = decode(Kind.POST_TELEMETRY, head + str(seq).encode() + middle + str(ts).encode() + tail)
    assert isinstance(msg, PostTelemetry)
    assert msg.seq == seq and msg.ts == ts and msg.src == "post-007" and len(msg.sockets) == sockets


@given(st.integers(0, 268_435_455))
def test_varint_round_trip(n: int) -> None:
    raw = varint(n)
    assert len(raw) <= 4
    assert _read_varint(raw, 0) == (n, len(raw))


def test_truncated_varint_asks_for_more() -> None:
    assert _read_varint(b"\x80", 0) == (-1, 0)


def test_publish_packet_framing_v5_and_v311() -> None:
    topic = b"\x00\x03a/b"
    v5 = RawPublisher(BrokerUrl.parse("mqtt://h:1"), "c", qos=1)
    pkt = v5.packet(topic, b"xyz")
    assert pkt == b"\x32" + bytes([3 + 2 + 2 + 1 + 3]) + topic + b"\x00\x01" + b"\x00" + b"xyz"
    assert v5.packet(topic, b"")[7:9] == b"\x00\x02"  # next packet id
    v5._next_mid = 65535
    v5.packet(topic, b"")
    assert v5._next_mid == 1  # ids wrap, skipping 0
    v3 = RawPublisher(BrokerUrl.parse("mqtt://h:1?protocol=311"), "c", qos=0)
    assert v3.packet(topic, b"xyz") == b"\x30\x08" + topic + b"xyz"


def test_receive_maximum_is_read_from_connack_properties() -> None:
    props = b"\x22\x00\x0a" + b"\x21\x00\x14" + b"\x26\x00\x01k\x00\x01v"
    assert _receive_maximum(props) == 20
    assert _receive_maximum(b"\x24\x01") == 65535
