"""An ingest worker on a real mosquitto: rejects, replays and out-of-order events."""

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud.core.live import SocketStop
from cloud.ingest.worker import IngestWorker
from cloud.runtime import Stores, make_worker, open_stores
from cloud.settings import CloudSettings
from protocol.clock import SystemClock
from protocol.uplink import SocketStatus as S
from shedwatch.mosquitto import Mosquitto
from tests.integration.cloud.conftest import SHED_TOML
from tests.integration.cloud.helpers import T0, Publisher, birth, operator, status, telemetry, wait_for
from tests.integration.cloud.postgres import fresh_schema

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path: Path, mosquitto: Mosquitto) -> CloudSettings:
    cfg = tmp_path / "shed-a.toml"
    cfg.write_text(SHED_TOML.format(shed="shed-a"))
    return CloudSettings(broker=mosquitto.url, data_dir=tmp_path / "data", shed_configs=[cfg], batch_delay_s=0.02)


@pytest.fixture
def running(settings: CloudSettings) -> Iterator[tuple[IngestWorker, Stores]]:
    stores = open_stores(settings)
    worker = make_worker(settings, stores, SystemClock(), worker="t")
    worker.start()
    wait_for(lambda: worker.stats.subscribed, what="worker subscribed")
    yield worker, stores
    worker.stop()
    stores.close()


def _raw_rows(settings: CloudSettings) -> int:
    with sqlite3.connect(settings.telemetry_path()) as db:
        return int(db.execute("SELECT count(*) FROM raw").fetchone()[0])


def test_bad_messages_are_counted_and_dead_lettered_good_ones_stored(
    running: tuple[IngestWorker, Stores], mosquitto: Mosquitto, settings: CloudSettings
) -> None:
    worker, stores = running
    pub = Publisher(mosquitto.port)
    ev = "sw/v1/edge/shed-a/event"
    pub.raw(ev, b"{this is not json")
    pub.raw(ev, b'{"v":1,"src":"shed-a","seq":1,"ts":1767225600000,"type":"' + b"x" * 1_100_000 + b'"}')
    pub.send([status("shed-a", 2, "post-77", 1, S.FREE)])  # unknown device
    pub.raw(
        ev,
        b'{"v":1,"src":"shed-a","seq":"3","ts":1767225600000,"type":"socket_status","device":"post-1",'
        b'"socket":1,"status":"free"}',
    )  # seq as a string: wrong type
    pub.raw("sw/v1/edge/shed-a/telemetry", b"[]")
    pub.send([status("shed-a", 5, "post-1", 1, S.CHARGING), telemetry("shed-a", 6, points=4)])
    wait_for(lambda: worker.stats.received >= 7, what="7 messages taken")
    assert worker.stats.rejects == {"malformed_json": 1, "oversized": 1, "unknown_device": 1, "wrong_type": 2}
    letters = stores.state.dead_letters()
    assert sorted(d.reason for d in letters) == [
        "malformed_json",
        "oversized",
        "unknown_device",
        "wrong_type",
        "wrong_type",
    ]
    assert all(len(d.payload) <= 4096 and d.detail for d in letters)
    assert stores.state.count("events") == 1
    assert _raw_rows(settings) == 4
    pub.close()


def test_replayed_messages_are_stored_once(
    running: tuple[IngestWorker, Stores], mosquitto: Mosquitto, settings: CloudSettings
) -> None:
    worker, stores = running
    pub = Publisher(mosquitto.port)
    first = [telemetry("shed-a", seq, points=2) for seq in range(1, 6)] + [status("shed-a", 6, "post-1", 1, S.FULL)]
    pub.send(first)
    wait_for(lambda: worker.stats.received >= 6, what="first pass")
    pub.send(first)  # the edge's outbox replays after a reconnect: same (src, seq)
    wait_for(lambda: worker.stats.received >= 12, what="replay")
    assert _raw_rows(settings) == 10
    assert stores.state.count("events") == 1
    assert worker.stats.duplicates == 6
    pub.close()


def test_out_of_order_events_end_in_seq_order_in_store_and_live_state(
    running: tuple[IngestWorker, Stores], mosquitto: Mosquitto
) -> None:
    worker, stores = running
    pub = Publisher(mosquitto.port)
    pub.send([status("shed-a", 4, "post-1", 1, S.FULL), status("shed-a", 2, "post-1", 1, S.CHARGING)])
    pub.send([birth("shed-a", 3, {("post-1", 1): S.PLUGGED, ("post-1", 2): S.FREE})])  # late birth
    pub.send([status("shed-a", 1, "post-1", 2, S.FAULTED)])  # older than the birth
    wait_for(lambda: worker.stats.received >= 4, what="4 messages")
    live = stores.state.load_live().sheds["shed-a"]
    assert {k: v.status for k, v in live.sockets.items()} == {("post-1", 1): S.FULL, ("post-1", 2): S.FREE}
    pub.close()


def test_ingest_into_a_postgresql_state_store(settings: CloudSettings, mosquitto: Mosquitto) -> None:
    with fresh_schema() as url:
        pg = settings.model_copy(update={"state_url": url})
        stores = open_stores(pg)
        worker = make_worker(pg, stores, SystemClock(), worker="pg")
        worker.start()
        try:
            wait_for(lambda: worker.stats.subscribed, what="subscribed")
            pub = Publisher(mosquitto.port)
            pub.send([birth("shed-a", 1, {("post-1", 1): S.FREE}), status("shed-a", 2, "post-1", 1, S.CHARGING)])
            pub.raw("sw/v1/edge/shed-a/event", b"nope")
            wait_for(lambda: worker.stats.received >= 3, what="3 messages")
            assert stores.state.count("dead_letters") == 1
            assert stores.state.load_live().sheds["shed-a"].sockets[("post-1", 1)].status is S.CHARGING
            assert stores.state.communities() == {"shed-a": "jinsong-north"}
            pub.close()
        finally:
            worker.stop()
            stores.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_an_operator_stop_through_ingest_is_counted_stopped_until_the_start(
    settings: CloudSettings, mosquitto: Mosquitto, engine: str
) -> None:
    with contextlib.ExitStack() as stack:
        if engine == "postgresql":
            settings = settings.model_copy(update={"state_url": stack.enter_context(fresh_schema())})
        stores = open_stores(settings)
        stack.callback(stores.close)
        worker = make_worker(settings, stores, SystemClock(), worker=engine)
        worker.start()
        stack.callback(worker.stop)
        wait_for(lambda: worker.stats.subscribed, what="subscribed")
        pub = Publisher(mosquitto.port)
        stack.callback(pub.close)

        def counts() -> tuple[int, int, int]:
            (a,) = stores.state.load_live().availability({})
            return a.free, a.plugged, a.stopped

        pub.send([birth("shed-a", 1, {("post-1", 1): S.FREE, ("post-1", 2): S.FREE})])
        pub.send([operator("shed-a", 2, "post-1", 1, stop=True, actor="op-li")])
        pub.send([status("shed-a", 3, "post-1", 1, S.PLUGGED)])  # a bike at the stopped socket: still stopped
        wait_for(lambda: worker.stats.received >= 3, what="3 messages")
        assert counts() == (1, 0, 1)
        assert stores.state.load_live().sheds["shed-a"].sockets[("post-1", 1)].stop == SocketStop("op-li", T0 + 2000)
        pub.send([operator("shed-a", 4, "post-1", 1, stop=False)])
        wait_for(lambda: worker.stats.received >= 4, what="the start")
        assert counts() == (1, 1, 0)
