"""Gaps the delivery tracker finds reach the bus as GapDetected, once when asked for and once when given up,
stored in the feed like every other domain event (a real worker on a real mosquitto)."""

import dataclasses
import time
from pathlib import Path

import pytest

from cloud.bus.local import Bus
from cloud.bus.publish import Committed
from cloud.core.events import AnyEvent, GapDetected
from cloud.delivery.tracker import DeliveryTimings
from cloud.runtime import make_worker, open_stores
from cloud.settings import CloudSettings
from protocol.clock import SystemClock
from protocol.uplink import EdgeHeartbeat
from shedwatch.mosquitto import Mosquitto
from tests.integration.cloud.helpers import T0, Publisher, telemetry, wait_for

pytestmark = pytest.mark.integration


def _heartbeat(seq: int) -> EdgeHeartbeat:
    return EdgeHeartbeat(src="shed-a", seq=seq, ts=T0, session=1, uptime_s=5, outbox_depth=5)


def test_gaps_are_announced_once_asked_then_once_lost(tmp_path: Path, mosquitto: Mosquitto) -> None:
    settings = CloudSettings(broker=mosquitto.url, data_dir=tmp_path / "data", batch_delay_s=0.02)
    stores = open_stores(settings)
    bus = Bus()
    gaps: list[AnyEvent] = []
    bus.subscribe(gaps.append, kinds=(GapDetected,))
    worker = make_worker(settings, stores, SystemClock(), worker="t", committed=Committed(bus))
    # Impatient, so the test takes about a second: ask after 0.2 s, again every 0.3 s, give up after 1 s.
    worker.delivery.timings = DeliveryTimings(grace_ms=200, resend_every_ms=300, give_up_ms=1000, ack_every_ms=100)
    worker.options = dataclasses.replace(worker.options, ack_tick_s=0.05)
    worker.start()
    pub = Publisher(mosquitto.port)
    try:
        wait_for(lambda: worker.stats.subscribed, what="worker subscribed")
        pub.send([telemetry("shed-a", seq) for seq in (1, 2, 3, 6)] + [_heartbeat(8)])
        wait_for(lambda: len(gaps) >= 2, timeout=15, what="gaps asked for")
        deadline = time.monotonic() + 15
        while len(gaps) < 4 and time.monotonic() < deadline:
            pub.send([_heartbeat(8)])  # the edge is heard, so the cloud may give the gaps up
            time.sleep(0.2)
        time.sleep(0.5)  # more retries and acks pass: nothing more is announced
        got = [(e.first, e.last, e.lost) for e in gaps if isinstance(e, GapDetected)]
        assert got == [(4, 5, False), (7, 8, False), (4, 5, True), (7, 8, True)]
        assert [e.position for e in gaps] == [1, 2, 3, 4]  # the shed's feed (telemetry adds no events)
        assert stores.state.read_feed("shed-a", 0) == gaps
    finally:
        worker.stop()
        stores.close()
        pub.close()
