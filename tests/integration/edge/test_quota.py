"""Under a tiny disk quota, a long outage thins old telemetry to rollups and loses no event and no seq."""

import threading
import time
from pathlib import Path

import pytest

from protocol.topics import Kind
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, RelayResponder, reading, write_config

pytestmark = pytest.mark.integration


def test_quota_thins_telemetry_keeps_events(mosquitto_factory, tmp_path: Path) -> None:
    shed = mosquitto_factory()
    cloud = mosquitto_factory(persistence=True)
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=shed.url,
        cloud_broker=cloud.url,
        data_dir=tmp_path / "data",
        posts=2,
        sockets=8,
        batch_interval_s=0.2,
        agent_extra="outbox_quota_mb = 0.05\nquota_check_s = 0.3",
    )
    rec = Recorder(cloud.url, ["sw/v1/edge/shed-a/#"], client_id="cloud-ingest", clean=False)
    responder = RelayResponder(shed.url)
    devices = Devices(shed.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    stop = threading.Event()

    def traffic() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            plugged = n % 2 == 0  # socket 1 toggles: a status event every message
            for post in ("post-1", "post-2"):
                devices.telemetry(
                    post,
                    [reading(1, 200.0 if plugged else 0.0, relay=plugged, plugged=plugged)]
                    + [reading(s, 150.0) for s in range(2, 9)],
                )
            time.sleep(0.02)

    worker = threading.Thread(target=traffic, daemon=True)
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        cloud.stop()
        worker.start()
        time.sleep(4.0)
        stop.set()
        worker.join(5)
        time.sleep(1.0)  # last batch and a quota check
        cloud.start()
        rec.wait(
            lambda: (s := sorted({m.seq for m in _stream(rec)})) and s == list(range(1, s[-1] + 1)) and len(s) > 50,
            timeout=30,
            what="the backlog",
        )
        assert agent.terminate() == 0
        assert "thinned" in agent.output()
    finally:
        stop.set()
        agent.kill()
        for c in (rec, responder, devices):
            c.close()
    batches = rec.of(Kind.EDGE_TELEMETRY)
    sizes = [len(b.points) for b in batches]
    # a batch holds about 40 readings per post per second; a rollup keeps one mean point per device and
    # socket (2 posts x (8 sockets + the total) = 18)
    assert sizes and min(sizes) <= 18, sizes
    for batch in batches:
        keys = [(p.device, p.socket) for p in batch.points]
        if len(batch.points) <= 18:
            assert len(keys) == len(set(keys)), "a rollup has one point per device and socket"
    statuses = rec.events("socket_status")
    assert len(statuses) > 20, "every status event survived the quota"
    seqs = sorted({m.seq for m in _stream(rec)})
    assert seqs == list(range(1, len(seqs) + 1))


def _stream(rec: Recorder) -> list:
    return rec.of(Kind.EDGE_EVENT) + rec.of(Kind.EDGE_TELEMETRY) + rec.of(Kind.EDGE_RESULT)
