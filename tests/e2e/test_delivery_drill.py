"""Drill: nothing lost, nothing doubled, whatever the brokers and the edge's disk do.

Real processes and brokers: a shed broker; a cloud broker as shipped by most distributions
(stock ``max_queued_messages`` 1000, no persistence) with a small ``max_packet_size``; the
cloud ingest worker; the edge agent acknowledging end to end. Readings flow the whole time
(each numbered in its energy counter) while, in turn: the ingest is SIGKILLed long enough
for the broker to drop queued messages past 1000; the cloud broker restarts (losing every
session and retained message); the edge is SIGKILLed; the edge's data directory is lost
(replaced while it is stopped). At the end the cloud holds every reading exactly once, and an off-gas
alarm raised during the ingest outage is stored within seconds of the ingest coming back, not behind the
backlog.
"""

import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from protocol.clock import SystemClock
from protocol.codec import encode
from protocol.device import PostTelemetry, SocketReading, SocketState
from protocol.topics import Kind, device_topic
from shedwatch.mosquitto import Mosquitto
from tests.integration.edge.harness import REPO, AgentProcess, Devices, client, write_config
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def _ingest(broker: str, data: Path, log: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "shedwatch", "cloud", "ingest", "--broker", broker, "--data-dir", str(data)]
    with log.open("ab") as fh:
        return subprocess.Popen([*args, "--worker-id", "w1"], cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)


def _stored(data: Path) -> list[float]:
    dbs = sorted(data.glob("telemetry.db"))
    if not dbs:
        return []
    with sqlite3.connect(dbs[0], timeout=30) as conn:
        rows = conn.execute(
            "SELECT json_extract(r.fields, '$.energy_wh') FROM raw r JOIN series s ON r.series = s.id "
            "WHERE s.device = 'post-1' AND s.socket = 1"
        ).fetchall()
    return [float(r[0]) for r in rows]


def _restart(agent: AgentProcess) -> AgentProcess:
    """Start the agent again (same config and log) and wait until its uplink is connected."""
    before = agent.output().count("cloud uplink connected")
    again = AgentProcess(agent.config, agent.log).start()
    wait_until(lambda: again.output().count("cloud uplink connected") > before, timeout=30, what="agent restarted")
    return again


def _off_gas_received(data: Path) -> int | None:
    with sqlite3.connect(data / "state.db", timeout=30) as conn:
        row = conn.execute(
            "SELECT min(received_ms) FROM events WHERE type = 'alarm_raised' AND body LIKE '%off_gas%'"
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


class Readings:
    """post-1 publishes one reading every few ms; its energy counter numbers the readings."""

    def __init__(self, url: str) -> None:
        self.client = client(url, "post-1-sim")
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.clock = SystemClock()

    def _run(self) -> None:
        topic = device_topic(Kind.POST_TELEMETRY, "shed-a", "post-1")
        while not self.stop.is_set():
            r = SocketReading(
                socket=1,
                voltage_v=230.0,
                current_a=0.0,
                power_w=0.0,
                energy_wh=float(self.sent),
                temp_c=25.0,
                relay=False,
                state=SocketState.EMPTY,
            )
            msg = PostTelemetry(src="post-1", seq=self.sent, ts=self.clock.now_ms(), total_power_w=0.0, sockets=[r])
            self.client.publish(topic, encode(msg), qos=1).wait_for_publish(5)
            self.sent += 1
            time.sleep(0.004)


def test_broker_queues_restarts_sigkill_and_lost_disk_lose_and_double_nothing(
    mosquitto_factory: Callable[..., Mosquitto], tmp_path: Path
) -> None:
    shed = mosquitto_factory()
    cloud = mosquitto_factory(unlimited_queues=False, extra_config="max_packet_size 131072")
    data = tmp_path / "cloud"
    edge_data = tmp_path / "edge"
    ingest_log = tmp_path / "ingest.log"
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=shed.url,
        cloud_broker=cloud.url,
        data_dir=edge_data,
        batch_interval_s=0.01,
        ack="cloud",
        agent_extra="tick_s = 0.005",
    )
    worker = _ingest(cloud.url, data, ingest_log)
    agent: AgentProcess | None = None
    readings: Readings | None = None
    try:
        wait_until(lambda: "ingest: subscribed" in ingest_log.read_text(), timeout=30, what="ingest subscribed")
        agent = AgentProcess(cfg, tmp_path / "agent.log").start()
        # the agent's first shed-broker session must exist before devices speak (later restarts keep it)
        wait_until(lambda: "shed broker connected" in agent.output(), timeout=30, what="agent on the shed broker")
        time.sleep(0.5)
        readings = Readings(shed.url)
        readings.thread.start()
        wait_until(lambda: len(_stored(data)) > 50, timeout=30, what="readings flowing")

        worker.kill()  # the ingest goes away; its session keeps queueing, up to 1000 messages
        worker.wait()
        time.sleep(11)
        sensor = Devices(shed.url, client_id="env-1-sim")
        sensor.environment("env-1", h2_ppm=250.0)  # off-gas during the outage, behind >1000 queued messages
        sensor.close()
        time.sleep(2)
        worker = _ingest(cloud.url, data, ingest_log)
        wait_until(lambda: ingest_log.read_text().count("ingest: subscribed") >= 2, timeout=30, what="ingest back")
        back_ms = SystemClock().now_ms()
        alarm_ms = wait_until(lambda: _off_gas_received(data), timeout=30, what="off-gas alarm stored")
        assert alarm_ms - back_ms < 10_000, "the alarm is not kept waiting behind the telemetry backlog"
        wait_until(lambda: "asking again for seqs" in ingest_log.read_text(), timeout=30, what="a gap asked for")

        cloud.stop()  # no persistence: every session, queue and retained ack is gone
        cloud.start()
        time.sleep(2)

        agent.kill()
        agent = _restart(agent)
        time.sleep(1)

        # The SD card goes only once the cloud holds what was sent: a row the edge still held unacknowledged would go
        # with it (lost, and named so on /healthz), and that race is not what this drill measures.
        readings.stop.set()
        readings.thread.join(10)
        sent = readings.sent
        wait_until(lambda: len(_stored(data)) >= sent, timeout=60, what=f"all {sent} readings stored before the wipe")
        assert agent.terminate() == 0
        shutil.rmtree(edge_data)  # a new SD card
        agent = _restart(agent)
        time.sleep(1)
        got = wait_until(
            lambda: s if len(s := _stored(data)) >= sent else None, timeout=60, what=f"all {sent} readings stored"
        )
        assert sorted(got) == [float(i) for i in range(sent)], "every reading exactly once"
        assert "renumbered" in agent.output(), "the new store numbered above what the cloud holds"
    finally:
        if readings is not None:
            readings.stop.set()
        if agent is not None:
            agent.kill()
        worker.kill()
        worker.wait()
