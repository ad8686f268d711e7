"""The uplink through a real broker: a new store speaks above the shed's known session; heartbeats are QoS 0."""

import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from edge.outbox import Outbox
from edge.uplink import Uplink
from protocol.brokerurl import BrokerUrl
from protocol.codec import decode, encode
from protocol.topics import Kind, shed_topic
from protocol.uplink import EdgeState, SocketSnapshot, SocketStatus, StoredAck
from tests.integration.edge.harness import client
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

SHED = "shed-a"
SOCKETS = [SocketSnapshot(device="post-1", socket=1, status=SocketStatus.CHARGING)]


class Heard:
    """Every message on the shed's state and heartbeat topics, with the QoS the subscriber got it at."""

    def __init__(self, url: str) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, int, bool, bytes]] = []
        self.client = client(url, "heard")
        self.client.on_message = self._on_message
        self.client.subscribe([(shed_topic(Kind.EDGE_STATE, SHED), 1), (shed_topic(Kind.EDGE_HEARTBEAT, SHED), 1)])

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((msg.topic, msg.qos, bool(msg.retain), bytes(msg.payload)))

    def births(self) -> list[EdgeState]:
        with self.lock:
            raw = [p for t, _q, r, p in self.messages if t.endswith("/state") and not r]
        states = [decode(Kind.EDGE_STATE, p) for p in raw]
        return [s for s in states if isinstance(s, EdgeState) and s.state == "birth"]

    def heartbeats(self) -> list[tuple[int, bytes]]:
        with self.lock:
            return [(q, p) for t, q, _r, p in self.messages if t.endswith("/heartbeat")]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _retain(url: str, kind: Kind, payload: bytes) -> None:
    c = client(url, "retainer")
    c.publish(shed_topic(kind, SHED), payload, qos=1, retain=True).wait_for_publish(5)
    c.loop_stop()
    c.disconnect()


def _uplink(url: str, box: Outbox, ack: str) -> Uplink:
    return Uplink(
        url=BrokerUrl.parse(url),
        shed=SHED,
        client_id=f"edge-{SHED}",
        outbox=box,
        snapshot=lambda: (1_800_000_000_000, 3, SOCKETS),
        on_message=lambda _t, _p: None,
        drain_rate_per_s=100,
        window=10,
        session_expiry_s=60,
        ack=ack,
        fresh_wait_s=5.0,
    )


@pytest.fixture
def heard(mosquitto) -> Iterator[Heard]:
    h = Heard(mosquitto.url)
    yield h
    h.close()


def _will_session(up: Uplink) -> int:
    state = decode(Kind.EDGE_STATE, bytes(up.client._will_payload))
    assert isinstance(state, EdgeState) and state.state == "death"
    return state.session


def test_new_store_continues_above_the_cloud_acks_session(mosquitto, heard: Heard, tmp_path: Path) -> None:
    """End to end acks: the retained StoredAck names session 5 and seqs to 40; no retained state."""
    ack = StoredAck(src="cloud", seq=0, ts=1, shed=SHED, stored_seq=40, highest_seq=40, edge_session=5)
    _retain(mosquitto.url, Kind.CLOUD_ACK, encode(ack))
    up = _uplink(mosquitto.url, Outbox(tmp_path / "o.sqlite"), "cloud")
    up.start()
    try:
        wait_until(lambda: heard.births(), timeout=15, what="a birth")
        births = heard.births()
        assert [(b.session, b.seq) for b in births] == [(6, 40)], "one birth, above the session and seqs known"
        assert births[0].sockets == SOCKETS
        assert _will_session(up) == 7
        up.heartbeat(1_800_000_000_000, 1)
        wait_until(lambda: heard.heartbeats(), timeout=5, what="a heartbeat")
        hb = decode(Kind.EDGE_HEARTBEAT, heard.heartbeats()[0][1])
        assert getattr(hb, "session", None) == 6
    finally:
        up.stop()


def test_new_store_continues_above_its_retained_state_without_cloud_acks(
    mosquitto, heard: Heard, tmp_path: Path
) -> None:
    """ack = "broker": the edge's own retained death (session 7) is the source."""
    death = EdgeState(src=SHED, seq=12, ts=1, state="death", session=7)
    _retain(mosquitto.url, Kind.EDGE_STATE, encode(death))
    up = _uplink(mosquitto.url, Outbox(tmp_path / "o.sqlite"), "broker")
    up.start()
    try:
        wait_until(lambda: heard.births(), timeout=15, what="a birth")
        assert [b.session for b in heard.births()] == [8]
        assert _will_session(up) == 9
    finally:
        up.stop()
    # a restart with the same store counts on from its own counter, without waiting
    up = _uplink(mosquitto.url, Outbox(tmp_path / "o.sqlite"), "broker")
    up.start()
    try:
        wait_until(lambda: len(heard.births()) == 2, timeout=15, what="a second birth")
        assert [b.session for b in heard.births()] == [8, 9]
    finally:
        up.stop()


def test_heartbeat_reaches_a_qos1_subscriber_at_qos0(mosquitto, heard: Heard, tmp_path: Path) -> None:
    """Heartbeats are live only (docs/protocol.md): a QoS 1 subscriber gets them at QoS 0, never queued."""
    box = Outbox(tmp_path / "o.sqlite")
    box.settle()  # a known store: no waiting
    up = _uplink(mosquitto.url, box, "broker")
    up.start()
    try:
        wait_until(lambda: heard.births(), timeout=15, what="a birth")
        up.heartbeat(1_800_000_000_000, 1)
        wait_until(lambda: heard.heartbeats(), timeout=5, what="a heartbeat")
        assert [q for q, _p in heard.heartbeats()] == [0]
    finally:
        up.stop()
