"""Ingest throughput against the broker's own ceiling, from pre-loaded QoS 1 backlogs.

Each consumer drains the same backlog: its persistent session is created first,
then the backlog is published while it is offline (mosquitto's queue limits lifted),
then it connects and the clock runs until every message is stored (or counted, for
the bare ceiling subscriber). So the publisher never bounds a figure.

    python -m bench.ingest [--quick]

Last line: one JSON object (see docs/performance.md, "bench.ingest").
"""

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.common import emit
from cloud.ingest.worker import subscriptions
from cloud.runtime import make_worker, open_stores
from cloud.settings import CloudSettings
from cloud.telemetry.sqlite import SqliteTelemetryStore
from protocol.clock import SystemClock
from protocol.codec import encode
from protocol.topics import Kind, shed_topic
from protocol.uplink import TelemetryBatch, TelemetryPoint
from shedwatch.mosquitto import Mosquitto

REPO = Path(__file__).resolve().parent.parent
T0 = 1_767_225_600_000
SHEDS = 50
GROUP = "bench"
RECEIVE_MAX = 10_000


def small_messages(n: int) -> list[tuple[str, bytes]]:
    """Edge messages holding one reading each (about 200 bytes)."""
    out = []
    for i in range(n):
        shed = f"shed-{i % SHEDS:03d}"
        seq = i // SHEDS
        p = TelemetryPoint(
            ts=T0 + seq * 1000,
            device=f"post-{seq % 20 + 1}",
            socket=seq % 10 + 1,
            fields={"power_w": 231.5 + seq % 7, "current_a": 1.04, "voltage_v": 221.8, "temp_c": 31.5},
        )
        b = TelemetryBatch(src=shed, seq=seq, ts=T0 + seq * 1000, points=[p])
        out.append((shed_topic(Kind.EDGE_TELEMETRY, shed), encode(b)))
    return out


def point_batches(m: int, points: int = 200) -> list[TelemetryBatch]:
    """Edge batches of ``points`` readings each."""
    out = []
    for i in range(m):
        shed = f"shed-{i % SHEDS:03d}"
        seq = i // SHEDS
        pts = [
            TelemetryPoint(
                ts=T0 + seq * 5000 + j,
                device=f"post-{j % 20 + 1}",
                socket=j % 10 + 1,
                fields={"power_w": 200.0 + j % 50, "current_a": 0.9, "voltage_v": 220.1, "temp_c": 30.2},
            )
            for j in range(points)
        ]
        out.append(TelemetryBatch(src=shed, seq=seq, ts=T0 + seq * 5000, points=pts))
    return out


def _client(client_id: str) -> mqtt.Client:
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)


def _connect(client: mqtt.Client, broker: Mosquitto) -> None:
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = RECEIVE_MAX
    client.connect("127.0.0.1", broker.port, clean_start=False, properties=props)


def make_session(broker: Mosquitto, client_id: str, filters: list[str]) -> None:
    """Create a persistent session subscribed to ``filters``, then leave it offline."""
    done = threading.Event()
    c = _client(client_id)
    c.on_subscribe = lambda *_a: done.set()
    _connect(c, broker)
    c.loop_start()
    c.subscribe([(f, 1) for f in filters])
    if not done.wait(10):
        raise RuntimeError("subscribe timed out")
    c.disconnect()
    c.loop_stop()


def publish(broker: Mosquitto, messages: list[tuple[str, bytes]]) -> None:
    """Publish at QoS 1 and wait for every PUBACK (in windows: paho's message ids are 16-bit)."""
    c = _client("bench-pub")
    c.max_inflight_messages_set(20_000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    for i in range(0, len(messages), 20_000):
        infos = [c.publish(t, p, qos=1) for t, p in messages[i : i + 20_000]]
        for info in infos:
            info.wait_for_publish(60)
    c.disconnect()
    c.loop_stop()


def ceiling(broker: Mosquitto, client_id: str, n: int) -> float:
    """A bare paho subscriber that parses and counts: messages per second."""
    count = 0
    done = threading.Event()

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        nonlocal count
        orjson.loads(msg.payload)
        count += 1
        if count >= n:
            done.set()

    c = _client(client_id)
    c.on_message = on_message
    t0 = time.perf_counter()
    _connect(c, broker)
    c.loop_start()
    if not done.wait(600):
        raise RuntimeError(f"ceiling drained only {count}/{n}")
    dt = time.perf_counter() - t0
    c.disconnect()
    c.loop_stop()
    return n / dt


def ingest_in_process(broker: Mosquitto, data: Path, n: int) -> tuple[float, float]:
    """One in-process worker drains the backlog into SQLite: (messages per second, CPU µs per message)."""
    settings = CloudSettings(broker=broker.url, data_dir=data, share_group=GROUP, client_id="bench-ingest")
    stores = open_stores(settings)
    worker = make_worker(settings, stores, SystemClock())
    cpu0, t0 = time.process_time(), time.perf_counter()
    worker.start()
    deadline = time.monotonic() + 600
    while worker.stats.received < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"ingest drained only {worker.stats.received}/{n}")
        time.sleep(0.005)
    dt, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    worker.stop()
    stores.close()
    return n / dt, cpu / n * 1e6


def counts(data: Path) -> tuple[int, int, int]:
    """(distinct messages stored, raw rows, distinct (series, ts) rows)."""
    with sqlite3.connect(data / "telemetry.db") as db:
        seen = db.execute("SELECT count(*) FROM seen").fetchone()[0]
        raw = db.execute("SELECT count(*) FROM raw").fetchone()[0]
        distinct = db.execute("SELECT count(*) FROM (SELECT DISTINCT series, ts FROM raw)").fetchone()[0]
    return int(seen), int(raw), int(distinct)


def _log_time(log: Path, marker: str) -> float | None:
    for line in log.read_text().splitlines():
        if marker in line:
            m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})", line)
            if m:
                return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000
    return None


def two_workers(
    broker: Mosquitto, data: Path, m: int, expected_points: int, messages: list[tuple[str, bytes]]
) -> float:
    """Two `shedwatch cloud ingest` processes share the subscription: points per second."""
    env_args = ["--broker", broker.url, "--data-dir", str(data)]
    for wid in ("1", "2"):
        # Same client ids as the workers use, so the backlog waits in their sessions.
        settings = CloudSettings(broker=broker.url, data_dir=data)
        from cloud.runtime import default_client_id

        make_session(broker, default_client_id(settings, wid), subscriptions(5, settings.share_group))
    publish(broker, messages)
    logs = [data.parent / f"w{w}.log" for w in ("1", "2")]
    procs = []
    for wid, log in zip(("1", "2"), logs, strict=True):
        with log.open("wb") as fh:
            args = [sys.executable, "-m", "shedwatch", "cloud", "ingest", *env_args, "--worker-id", wid]
            procs.append(subprocess.Popen(args, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT))
    db = data / "telemetry.db"
    deadline = time.monotonic() + 600
    try:
        while True:
            if db.exists():
                try:
                    if counts(data)[0] >= m:
                        t1 = time.time()
                        break
                except sqlite3.OperationalError:
                    pass  # schema being created
            if time.monotonic() > deadline:
                raise RuntimeError("two workers did not drain the backlog")
            time.sleep(0.02)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    starts = [_log_time(log, "ingest: connected") for log in logs]
    t0 = min(s for s in starts if s is not None)
    return expected_points / (t1 - t0)


def store_ceiling(path: Path, batches: list[TelemetryBatch]) -> float:
    """The SQLite store's own bulk write rate of the same rows, no MQTT: points per second."""
    store = SqliteTelemetryStore(path)
    rows = [b for b in batches]
    per_write = 10  # the worker writes several edge batches per transaction, too
    t0 = time.perf_counter()
    for i in range(0, len(batches), per_write):
        store.write(rows[i : i + per_write])
    dt = time.perf_counter() - t0
    store.close()
    return sum(len(b.points) for b in batches) / dt


def main() -> int:
    """Run every measurement and print one JSON object last."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller backlogs (a smoke run)")
    args = parser.parse_args()
    n_small, m_batches = (5_000, 60) if args.quick else (100_000, 1_000)
    load_start = os.getloadavg()[0]  # the machine is shared: say how busy it was
    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-ingest-"))
    result: dict[str, float | int] = {}
    lost = duplicated = 0

    # Small messages: the same backlog waits in two sessions (the bare subscriber's and the worker's).
    small = small_messages(n_small)
    with Mosquitto(workdir=tmp / "broker-small") as broker:
        make_session(broker, "bench-ceiling", subscriptions(5, ""))
        make_session(broker, "bench-ingest", subscriptions(5, GROUP))
        publish(broker, small)
        result["ceiling_msgs_per_s"] = round(ceiling(broker, "bench-ceiling", n_small))
        rate, cpu = ingest_in_process(broker, tmp / "small", n_small)
    result["ingest_msgs_per_s"] = round(rate)
    result["ratio_small"] = round(rate / result["ceiling_msgs_per_s"], 3)
    result["ingest_cpu_us_per_msg"] = round(cpu, 1)
    seen, raw, distinct = counts(tmp / "small")
    lost += n_small - seen
    duplicated += raw - distinct

    # Edge batches of 200 points.
    batches = point_batches(m_batches)
    points = sum(len(b.points) for b in batches)
    result["store_ceiling_points_per_s"] = round(store_ceiling(tmp / "store-ceiling.db", batches))
    encoded = [(shed_topic(Kind.EDGE_TELEMETRY, b.src), encode(b)) for b in batches]
    with Mosquitto(workdir=tmp / "broker-batch") as broker:
        make_session(broker, "bench-ingest", subscriptions(5, GROUP))
        publish(broker, encoded)
        rate, _cpu = ingest_in_process(broker, tmp / "batch", m_batches)
    result["ingest_points_per_s"] = round(rate * points / m_batches)
    result["ratio_batch"] = round(result["ingest_points_per_s"] / result["store_ceiling_points_per_s"], 3)
    seen, raw, distinct = counts(tmp / "batch")
    lost += m_batches - seen
    duplicated += raw - distinct

    with Mosquitto(workdir=tmp / "broker-two") as broker:
        (tmp / "two" / "data").mkdir(parents=True)
        result["two_workers_points_per_s"] = round(
            two_workers(broker, tmp / "two" / "data", m_batches, points, encoded)
        )
    seen, raw, distinct = counts(tmp / "two" / "data")
    lost += m_batches - seen
    duplicated += raw - distinct

    result["lost"] = lost
    result["duplicated"] = duplicated
    result["load_avg"] = [round(load_start, 2), round(os.getloadavg()[0], 2)]  # type: ignore[assignment]
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
