"""The outage drill: traffic flowing, cloud broker stopped, agent SIGKILLed and restarted, broker back.

The cloud side must receive every stream message the edge ever numbered, with no gap
in seq, and any duplicate must be recognisable (same src and seq, same bytes).
"""

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from protocol.codec import decode_message
from protocol.topics import Kind, parse_topic
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, RelayResponder, reading, write_config

pytestmark = pytest.mark.integration

STREAM = {Kind.EDGE_EVENT, Kind.EDGE_TELEMETRY, Kind.EDGE_RESULT}


def _outbox(data_dir: Path) -> tuple[int, int]:
    """(last seq issued, rows waiting), read from the agent's database while it runs."""
    db = sqlite3.connect(f"file:{data_dir / 'outbox.sqlite'}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT value FROM meta WHERE key='next_seq'").fetchone()
        depth = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        return (int(row[0]) - 1 if row else 0), int(depth)
    finally:
        db.close()


def test_outage_and_sigkill_lose_nothing(mosquitto_factory, tmp_path: Path) -> None:
    shed = mosquitto_factory()
    cloud = mosquitto_factory(persistence=True)
    data = tmp_path / "data"
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=shed.url,
        cloud_broker=cloud.url,
        data_dir=data,
        posts=2,
        batch_interval_s=0.3,
    )
    rec = Recorder(cloud.url, ["sw/v1/edge/shed-a/#"], client_id="cloud-ingest", clean=False)
    responder = RelayResponder(shed.url)
    devices = Devices(shed.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    stop = threading.Event()

    def traffic() -> None:
        # socket 1 of each post is plugged and unplugged in turn: a status event per message
        n = 0
        while not stop.is_set():
            n += 1
            for post in ("post-1", "post-2"):
                plugged = n % 2 == 0
                devices.telemetry(
                    post, [reading(1, 200.0 if plugged else 0.0, relay=plugged, plugged=plugged), reading(2, 150.0)]
                )
            time.sleep(0.05)

    worker = threading.Thread(target=traffic, daemon=True)
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        worker.start()
        rec.wait(lambda: len(rec.of(Kind.EDGE_TELEMETRY)) >= 2, what="traffic reaching the cloud")
        cloud.stop()
        time.sleep(1.0)  # the outbox fills while the cloud is away
        agent.kill()  # SIGKILL in the middle of the outage
        seq_at_kill, depth_at_kill = _outbox(data)
        assert depth_at_kill > 0
        agent = AgentProcess(cfg, tmp_path / "agent2.log").start()
        time.sleep(1.0)
        cloud.start()
        time.sleep(1.0)
        stop.set()
        worker.join(5)

        def drained() -> bool:
            last, depth = _outbox(data)
            got = {m.seq for m in _stream(rec)}
            return depth == 0 and last > seq_at_kill and got >= set(range(1, last + 1))

        rec.wait(drained, timeout=30, what="the outbox drained to the cloud")
        assert agent.terminate() == 0
    finally:
        stop.set()
        agent.kill()
        for c in (rec, responder, devices):
            c.close()
    last, _ = _outbox(data)
    seqs = [m.seq for m in _stream(rec)]
    assert set(seqs) == set(range(1, last + 1)), "every seq arrived, none missing"
    # duplicates (resent after the reconnect or the kill) carry the same src+seq and the same bytes
    first: dict[int, bytes] = {}
    with rec.lock:
        raw = list(rec.raw)
    for topic, payload in raw:
        if parse_topic(topic).kind in STREAM:
            _, msg = decode_message(topic, payload)
            assert msg.src == "shed-a"
            assert first.setdefault(msg.seq, payload) == payload
    sessions = [s.session for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"]
    assert sessions == sorted(sessions) and len(set(sessions)) >= 2, "a new session number on every connect"
    assert not rec.errors


def _stream(rec: Recorder) -> list:
    with rec.lock:
        msgs = list(rec.messages)
    return [m for t, m in msgs if parse_topic(t).kind in STREAM]
