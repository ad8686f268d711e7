"""The ingest worker on a real mosquitto: one (src, seq) stored once across kinds, the stored watermark
published (retained) with the gaps it asks for again, and read back after a restart."""

import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud.ingest.worker import IngestWorker
from cloud.runtime import Stores, make_worker, open_stores
from cloud.settings import CloudSettings
from protocol.clock import SystemClock
from protocol.codec import decode
from protocol.topics import Kind
from protocol.uplink import EdgeHeartbeat, RejectCount, StoredAck
from protocol.uplink import SocketStatus as S
from shedwatch.mosquitto import Mosquitto
from tests.integration.cloud.helpers import T0, Publisher, status, telemetry, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path: Path, mosquitto: Mosquitto) -> CloudSettings:
    return CloudSettings(broker=mosquitto.url, data_dir=tmp_path / "data", batch_delay_s=0.02)


def _start(settings: CloudSettings) -> tuple[IngestWorker, Stores]:
    stores = open_stores(settings)
    worker = make_worker(settings, stores, SystemClock(), worker="t")
    worker.start()
    wait_for(lambda: worker.stats.subscribed, what="worker subscribed")
    return worker, stores


@pytest.fixture
def running(settings: CloudSettings) -> Iterator[tuple[IngestWorker, Stores]]:
    worker, stores = _start(settings)
    yield worker, stores
    worker.stop()
    stores.close()


class Acks:
    """Records every StoredAck of shed-a (the edge's view)."""

    def __init__(self, port: int) -> None:
        self.acks: list[StoredAck] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="edge-view")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("sw/v1/cloud/shed-a/ack", qos=1)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        ack = decode(Kind.CLOUD_ACK, bytes(msg.payload))
        with self.lock:
            self.acks.append(ack)

    def last(self) -> StoredAck | None:
        with self.lock:
            return self.acks[-1] if self.acks else None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_one_seq_used_by_a_batch_and_an_event_is_stored_once(
    running: tuple[IngestWorker, Stores], mosquitto: Mosquitto
) -> None:
    worker, stores = running
    pub = Publisher(mosquitto.port)
    pub.send([telemetry("shed-a", 5)])
    wait_for(lambda: worker.stats.received >= 1, what="batch")
    pub.send([status("shed-a", 5, "post-1", 1, S.FULL)])  # the same (src, seq), as an event
    wait_for(lambda: worker.stats.received >= 2, what="event")
    assert stores.state.count("events") == 0
    assert worker.stats.duplicates == 1
    assert worker.stats.flagged["ts_far_past"] == 1, "stamped in January 2026, long before arrival: stored, flagged"
    pub.close()


def test_gap_is_asked_for_and_the_watermark_published_and_recovered(
    settings: CloudSettings, mosquitto: Mosquitto
) -> None:
    worker, stores = _start(settings)
    acks = Acks(mosquitto.port)
    pub = Publisher(mosquitto.port)
    try:
        pub.send([telemetry("shed-a", seq) for seq in (1, 2, 3, 6)])
        hb = EdgeHeartbeat(
            src="shed-a",
            seq=8,
            ts=T0,
            session=1,
            uptime_s=5,
            outbox_depth=5,
            rejects=[RejectCount(reason="replay", topic="telemetry", count=2)],
        )
        pub.send([hb])
        asked = wait_for(lambda: (a := acks.last()) is not None and a.resend and a, timeout=15, what="resend request")
        assert asked.stored_seq == 3 and asked.highest_seq == 8
        assert [(r.first, r.last) for r in asked.resend] == [(4, 5), (7, 8)]
        view = worker.delivery.snapshot()["sheds"]["shed-a"]  # type: ignore[index]
        assert view["missing"] == 4 and view["edge_rejects"] == {"replay/telemetry": 2}
        pub.send([telemetry("shed-a", seq) for seq in (4, 5, 7, 8)])
        wait_for(lambda: (a := acks.last()) is not None and a.stored_seq == 8, what="watermark 8")
        worker.stop()
        stores.close()
        worker, stores = _start(settings)  # a restarted cloud reads its retained ack back
        wait_for(lambda: worker.delivery.snapshot()["sheds"], what="recovered")  # type: ignore[index]
        assert worker.delivery.snapshot()["sheds"]["shed-a"]["stored_seq"] == 8  # type: ignore[index]
    finally:
        worker.stop()
        stores.close()
        acks.close()
        pub.close()
