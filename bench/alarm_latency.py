"""Alarm latency: a device's first fire signal to the alert at a local webhook, through the real path.

    python -m bench.alarm_latency [--quick] [--drills N] [--points-per-s N]

Path: a simulated smoke sensor publishes on the shed broker -> the edge agent trips and raises the alarm ->
cloud broker -> cloud ingest -> alarm service (incident, page) -> notifier -> local webhook receiver (a
``json://`` target). Meanwhile background telemetry of 50 other sheds (as their edges would send it) flows into
the same cloud broker and ingest at ``--points-per-s``. Each drill is then reset the way staff would: the sensor
clears, the cloud sends the edge a ``reset_trip`` command, the incident is accepted and resolved, so the next
drill opens a new incident. Latency is measured from the device's publish to the receiver's arrival, both by
``time.perf_counter()`` in this process.

Before it, one line per stage of the path (p50 / p99 / max ms), from the stored timestamps: device publish ->
edge decision (the edge event's ts) -> cloud receive (events.received_ms) -> alarm pass (incidents.opened_ms)
-> notifier pass (alerts.sent_ms) -> receiver (arrival). Wall clock across processes on one machine.

Last line: one JSON object with p50_ms, p99_ms, max_ms, drills, background_points_per_s (published; stored
points are counted too), lost_alerts, duplicate_alerts, load_avg (the 1-minute load average at start and end).
"""

import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from bench.common import emit, parser, percentile
from cloud.alarms.actions import ack_incident, resolve_incident
from cloud.alarms.config import load_alarm_config
from cloud.alarms.service import AlarmService
from cloud.core.alarms.incidents import Resolution
from cloud.core.alarms.inputs import Actor
from cloud.state.store import StateStore
from protocol.codec import encode
from protocol.commands import Command
from protocol.config import ShedConfig
from protocol.device import EnvironmentReading
from protocol.topics import Kind, device_topic, shed_topic
from shedwatch.demo import ingest_ready
from shedwatch.demo_config import shed_toml
from shedwatch.mosquitto import Mosquitto
from shedwatch.ports import free_port
from shedwatch.processes import Child
from shedwatch.webhook_receiver import HttpReceiver

REPO = Path(__file__).resolve().parent.parent
SHED = "shed-bench"
# Drills rotate over many sensors: one key raised every few seconds would be chattering (3 raises a minute),
# and the alarm service rightly damps that instead of paging each time.
SENSORS = [f"env-{i:03d}" for i in range(1, 101)]
BG_SHEDS = 50
POINTS_PER_BATCH = 500

ALARMS = """
[links]
base_url = "{base}"

[rate_limits]
json = 1000000

[[person]]
id = "guard"
targets = ["json://127.0.0.1:{port}/guard"]

[[community]]
name = "default"
[[community.shift]]
role = "guard"
person = "guard"
"""


def _client(port: int, name: str) -> mqtt.Client:
    c = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"{name}-{time.monotonic_ns()}", protocol=MQTTProtocolVersion.MQTTv5
    )
    c.max_inflight_messages_set(1000)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


class Sensors:
    """The shed's smoke / heat / off-gas sensors, each reporting every 2 s (so the edge never finds one silent)."""

    def __init__(self, port: int) -> None:
        self.client = _client(port, "bench-sensor")
        self.seq = dict.fromkeys(SENSORS, 0)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.smoke = dict.fromkeys(SENSORS, False)
        self.thread = threading.Thread(target=self._keepalive, daemon=True)
        self.thread.start()

    def publish(self, sensor: str, smoke: bool) -> None:
        """Send one reading of ``sensor`` now."""
        with self.lock:
            self.smoke[sensor] = smoke
            self.seq[sensor] += 1
            reading = EnvironmentReading(
                src=sensor,
                seq=self.seq[sensor],
                ts=time.time_ns() // 1_000_000,
                temp_c=24.0,
                smoke_obscuration_pct_m=12.0 if smoke else 0.1,
                smoke_alarm=smoke,
                h2_ppm=0.0,
                co_ppm=1.0,
                voc_ppm=0.5,
            )
            info = self.client.publish(device_topic(Kind.ENVIRONMENT, SHED, sensor), encode(reading), qos=1)
        info.wait_for_publish(10)

    def _keepalive(self) -> None:
        while not self.stop.wait(2.0):
            for sensor in SENSORS:
                self.publish(sensor, self.smoke[sensor])

    def close(self) -> None:
        """Stop reporting."""
        self.stop.set()
        self.thread.join()
        self.client.loop_stop()
        self.client.disconnect()


class Background:
    """Telemetry of other sheds straight into the cloud broker at ``points_per_s``."""

    def __init__(self, port: int, points_per_s: int) -> None:
        self.client = _client(port, "bench-bg")
        self.points_per_s = points_per_s
        self.sent_points = 0
        self.stop = threading.Event()
        self.started = time.perf_counter()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _batch(self, shed: int, seq: int) -> bytes:
        ts = time.time_ns() // 1_000_000
        points = [
            {
                "ts": ts,
                "device": f"post-{i % 20 + 1}",
                "socket": i % 10 + 1,
                "fields": {"power_w": 231.5, "temp_c": 31.0},
            }
            for i in range(POINTS_PER_BATCH)
        ]
        return orjson.dumps({"v": 1, "src": f"bg-{shed:03d}", "seq": seq, "ts": ts, "points": points})

    def _run(self) -> None:
        if self.points_per_s <= 0:
            return  # no background: the alarm path alone
        batches_per_s = self.points_per_s / POINTS_PER_BATCH
        n = 0
        while not self.stop.is_set():
            due = self.started + n / batches_per_s
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            shed, seq = n % BG_SHEDS, n // BG_SHEDS
            self.client.publish(shed_topic(Kind.EDGE_TELEMETRY, f"bg-{shed:03d}"), self._batch(shed, seq), qos=1)
            self.sent_points += POINTS_PER_BATCH
            n += 1

    def close(self) -> float:
        """Stop; the achieved rate in points per second."""
        self.stop.set()
        self.thread.join()
        rate = self.sent_points / (time.perf_counter() - self.started)
        self.client.loop_stop()
        self.client.disconnect()
        return rate


def _smoke_state(db: Path, sensor: str) -> str | None:
    with sqlite3.connect(db, timeout=30) as conn:
        row = conn.execute(
            "SELECT state FROM alarms WHERE key = ? ORDER BY instance DESC LIMIT 1", (f"{SHED}/{sensor}/0/smoke",)
        ).fetchone()
    return None if row is None else str(row[0])


def _wait(cond, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.005)
    return False


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--drills", type=int, default=200)
    p.add_argument("--points-per-s", type=int, default=20_000)
    args = p.parse_args()
    # `timeout` and Ctrl-C end the run through the finally below, which stops every process it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    drills = 20 if args.quick and args.drills == 200 else args.drills
    load_start = os.getloadavg()[0]  # the machine is shared: say how busy it was
    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-alarm-"))
    brokers = [Mosquitto(workdir=tmp / "shed-broker").start(), Mosquitto(workdir=tmp / "cloud-broker").start()]
    shed_broker, cloud_broker = brokers
    receiver = HttpReceiver().up()
    children: list[Child] = []
    sensor = background = None
    try:
        shed = ShedConfig(shed=SHED, sensors=SENSORS)
        (tmp / "shed.toml").write_text(
            shed_toml(shed, shed_broker=shed_broker.url, cloud_broker=cloud_broker.url, data_dir=tmp / "edge")
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        (tmp / "alarms.toml").write_text(ALARMS.format(base=base, port=receiver.port))
        data = tmp / "cloud"
        cloud_args = ["cloud", "--broker", cloud_broker.url, "--port", str(port), "--data-dir", str(data)]
        cloud_args += ["--shed-config", str(tmp / "shed.toml"), "--alarm-config", str(tmp / "alarms.toml")]
        children.append(Child.shedwatch("cloud", cloud_args, log_dir=tmp / "logs", cwd=REPO))
        if not _wait(lambda: _ready(base), 60):
            raise SystemExit(f"cloud did not start:\n{children[0].log_tail()}")
        edge = Child.shedwatch("edge", ["edge", "--config", str(tmp / "shed.toml")], log_dir=tmp / "logs", cwd=REPO)
        children.append(edge)
        sensor = Sensors(shed_broker.port)
        background = Background(cloud_broker.port, args.points_per_s)
        time.sleep(3.0)  # the edge's birth and first heartbeat reach the cloud; background is flowing

        store = StateStore(f"sqlite:///{data / 'state.db'}")
        service = AlarmService(
            store.engine,
            sqlite=True,
            config=load_alarm_config(tmp / "alarms.toml"),
            link_secret=(data / "link-secret").read_text().strip().encode(),
        )
        commander = _client(cloud_broker.port, "bench-cmd")
        published: list[tuple[str, float]] = []  # (incident id, device publish time) per drill
        timeouts = 0
        for i in range(drills):
            which = SENSORS[i % len(SENSORS)]
            seen = len(receiver.arrived)
            t0 = time.perf_counter()
            sensor.publish(which, True)
            if not _wait(lambda seen=seen: len(receiver.arrived) > seen, 10):
                timeouts += 1
            # Reset as staff would: the sensor clears, the edge is told to lift its latch, the incident closes.
            sensor.publish(which, False)
            now = time.time_ns() // 1_000_000
            cmd = Command(
                src="cloud",
                seq=i,
                ts=now,
                request_id=f"bench-{i}",
                expires_at=now + 60_000,
                actor="bench",
                action="reset_trip",
            )
            commander.publish(shed_topic(Kind.CLOUD_COMMAND, SHED), encode(cmd), qos=1).wait_for_publish(10)
            _wait(lambda which=which: _smoke_state(data / "state.db", which) == "rtn_unack", 10)
            with store.engine.connect() as conn:
                open_ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM incidents WHERE resolved_ms IS NULL")]
            for incident in open_ids:
                now = time.time_ns() // 1_000_000
                ack_incident(service, incident, Actor("guard", "bench"), now)
                resolve_incident(service, incident, Resolution.TEST, "bench drill", Actor("guard", "bench"), now)
            _wait(lambda which=which: _smoke_state(data / "state.db", which) == "normal", 10)
            published.append((_incident_of(data / "state.db", which), t0))
            if (i + 1) % 10 == 0:
                print(f"drill {i + 1}/{drills}: timeouts {timeouts}", file=sys.stderr)
        time.sleep(5.0)  # stragglers still count as delivered (late), never as lost
        arrivals: dict[str, float] = {}
        refs: Counter[str] = Counter()
        for text, at in zip(receiver.texts(), list(receiver.arrived), strict=False):
            ref = text.rsplit("Ref: ", 1)[-1]
            refs[ref] += 1
            arrivals.setdefault(ref, at)
        latencies = [
            (arrivals[f"{inc}/open/guard"] - t0) * 1000 for inc, t0 in published if f"{inc}/open/guard" in arrivals
        ]
        _print_stages(data / "state.db", published, arrivals)
        lost = drills - len(latencies)
        rate = background.close()
        background = None
        time.sleep(1.0)
        stored = _stored_points(base)
        commander.loop_stop()
        store.close()
        result = {
            "p50_ms": round(percentile(latencies, 50), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "max_ms": round(max(latencies), 2) if latencies else None,
            "drills": drills,
            "background_points_per_s": round(rate),
            "ingest_messages_stored": stored,
            "edge_offline_alarms": _count_type(data / "state.db", "edge_offline"),
            "lost_alerts": lost,
            "duplicate_alerts": sum(n - 1 for n in refs.values()),
            "over_10s": timeouts,
            "load_avg": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        }
    finally:
        if background is not None:
            background.close()
        if sensor is not None:
            sensor.close()
        codes = {c.name: c.stop(timeout=60) for c in reversed(children)}
        receiver.down()
        for b in brokers:
            b.kill()
    result["exit_codes"] = codes
    emit(result)


STAGES = ("publish->edge", "edge->cloud receive", "receive->alarm pass", "alarm pass->notifier", "notifier->receiver")


def _print_stages(db: Path, published: list[tuple[str, float]], arrivals: dict[str, float]) -> None:
    """Per-stage p50 / p99 / max (ms) from the stored timestamps, one line each, on stdout."""
    # perf_counter() of this process as wall-clock ms, to set beside the timestamps other processes stored
    offset_ms = time.time() * 1000 - time.perf_counter() * 1000
    spans: dict[str, list[float]] = {s: [] for s in STAGES}
    with sqlite3.connect(db, timeout=30) as conn:
        for inc, t0 in published:
            ref = f"{inc}/open/guard"
            if not inc or ref not in arrivals:
                continue
            opened = conn.execute("SELECT opened_ms FROM incidents WHERE id = ?", (inc,)).fetchone()
            ev = conn.execute(
                "SELECT ts, received_ms FROM events WHERE src = ? AND type = 'alarm_raised' AND device = ?"
                " AND received_ms <= ? AND ts >= ? ORDER BY seq DESC LIMIT 1",  # this drill's raise, not an older one
                (SHED, _sensor_of(conn, inc), opened[0] if opened else 0, (t0 * 1000 + offset_ms) - 1000),
            ).fetchone()
            sent = conn.execute(
                "SELECT sent_ms FROM alerts WHERE incident = ? AND step = 'open' AND person = 'guard'", (inc,)
            ).fetchone()
            if ev is None or opened is None or sent is None or sent[0] is None:
                continue
            marks = [t0 * 1000 + offset_ms, ev[0], ev[1], opened[0], sent[0], arrivals[ref] * 1000 + offset_ms]
            for name, a, b in zip(STAGES, marks, marks[1:], strict=False):
                spans[name].append(float(b - a))
    for name, values in spans.items():
        if values:
            print(
                f"stage {name}: p50 {percentile(values, 50):.1f} p99 {percentile(values, 99):.1f}"
                f" max {max(values):.1f} ms (n={len(values)})"
            )


def _sensor_of(conn: sqlite3.Connection, incident: str) -> str:
    """The sensor whose smoke alarm joined ``incident``."""
    row = conn.execute("SELECT key FROM alarms WHERE incident = ? AND key LIKE '%/smoke'", (incident,)).fetchone()
    return str(row[0]).split("/")[1] if row else ""


def _incident_of(db: Path, sensor: str) -> str:
    """The incident the newest smoke alarm of ``sensor`` joined ('' if none yet)."""
    with sqlite3.connect(db, timeout=30) as conn:
        row = conn.execute(
            "SELECT incident FROM alarms WHERE key = ? ORDER BY instance DESC LIMIT 1", (f"{SHED}/{sensor}/0/smoke",)
        ).fetchone()
    return str(row[0]) if row and row[0] else ""


def _count_type(db: Path, alarm_type: str) -> int:
    """Alarm instances of one type (an edge_offline here means the cloud fell 90 s behind a heartbeat)."""
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute("SELECT count(*) FROM alarms WHERE key LIKE ?", (f"%/{alarm_type}",)).fetchone()[0])


def _ready(base: str) -> bool:
    try:
        return ingest_ready(httpx.get(f"{base}/healthz", timeout=2).json())
    except (httpx.HTTPError, ValueError):
        return False


def _stored_points(base: str) -> int | None:
    try:
        ingest = httpx.get(f"{base}/healthz", timeout=5).json()["ingest"]
    except (httpx.HTTPError, ValueError, KeyError):
        return None
    value = ingest.get("stored")  # messages (batches) stored by ingest, background and edge alike
    return int(value) if isinstance(value, int | float) else None


if __name__ == "__main__":
    main()
