"""Command round trip: the cloud issues stop_socket, the edge's "applied" result is stored in the cloud.

    python -m bench.commands [--quick] [--count N]

Real processes and brokers: a shed mosquitto and a cloud mosquitto (both with TCP_NODELAY,
as deploy/mosquitto/shed.conf), the edge agent as a subprocess (`shedwatch edge`), and in
this process the cloud: an ingest worker on a SQLite state store with the bus, and the
command sender. Each command is timed from just before the sender audits and publishes it
to the moment the bus announces its CommandAnswered, which happens after the result row
is committed. Commands go one at a time (a latency figure, not a throughput one).

Prints command_p50_ms, command_p99_ms, command_max_ms, the two halves (edge_answer_*: issued until the
edge's result is on the cloud broker, seen by a plain subscriber; cloud_store_*: from there until stored and
announced), commands, lost (commands with no
stored result within 10 s: must be 0) and the ingest batch delay used, as one JSON object.
"""

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

from bench.common import emit, parser, percentile
from cloud.bus.local import Bus
from cloud.bus.publish import Committed
from cloud.commands.sender import CommandSender
from cloud.core.events import AnyEvent, CommandAnswered
from cloud.core.registry import Registry
from cloud.ingest.worker import IngestWorker, WorkerOptions
from cloud.state.store import StateStore
from cloud.telemetry.sqlite import SqliteTelemetryStore
from protocol.brokerurl import BrokerUrl
from protocol.clock import SystemClock
from protocol.mqttclient import connect_async, make_client
from protocol.topics import Kind, shed_topic
from shedwatch.mosquitto import Mosquitto

REPO = Path(__file__).resolve().parents[1]
SHED = "shed-a"
SOCKETS = 10
BATCH_DELAY_S = 0.05  # the cloud's default (CloudSettings.batch_delay_s): results do not wait for it


def _config(path: Path, shed_port: int, cloud_port: int, data: Path) -> None:
    path.write_text(
        f"""[agent]
shed_broker = "mqtt://127.0.0.1:{shed_port}"
cloud_broker = "mqtt://127.0.0.1:{cloud_port}"
data_dir = "{data}"
heartbeat_s = 5.0

[shed]
shed = "{SHED}"
community = "bench"
sensors = ["env-1"]
extinguishers = ["ext-1"]

[[shed.posts]]
id = "post-1"
sockets = {SOCKETS}
"""
    )


def main() -> int:
    """Run the benchmark; the last line is one JSON object."""
    p = parser(__doc__ or "")
    p.add_argument("--count", type=int, default=0, help="commands to send (default 1000, 200 with --quick)")
    args = p.parse_args()
    count = args.count or (200 if args.quick else 1000)
    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-commands-"))
    shed = Mosquitto(workdir=tmp / "shed", extra_config="set_tcp_nodelay true").start()
    cloud = Mosquitto(workdir=tmp / "cloud", persistence=True, extra_config="set_tcp_nodelay true").start()
    cfg = tmp / "shed.toml"
    _config(cfg, shed.port, cloud.port, tmp / "edge")
    clock = SystemClock()
    state = StateStore(f"sqlite:///{tmp / 'state.db'}")
    state.migrate()
    telemetry = SqliteTelemetryStore(tmp / "telemetry.db")
    bus = Bus()
    answered: dict[str, float] = {}
    arrived = threading.Condition()

    def on_answer(event: AnyEvent) -> None:
        if isinstance(event, CommandAnswered) and event.status == "applied":
            with arrived:
                answered[event.request_id] = time.perf_counter()
                arrived.notify_all()

    bus.subscribe(on_answer, kinds=(CommandAnswered,))
    broker = BrokerUrl.parse(cloud.url)
    worker = IngestWorker(
        WorkerOptions(broker=broker, client_id="bench-ingest", batch_delay_s=BATCH_DELAY_S),
        telemetry=telemetry,
        state=state,
        registry=Registry(),
        clock=clock,
        committed=Committed(bus),
    )
    worker.start()
    log = (tmp / "edge.log").open("wb")
    edge = subprocess.Popen(
        [sys.executable, "-m", "shedwatch", "edge", "--config", str(cfg)], cwd=REPO, stdout=log, stderr=log
    )
    sender = CommandSender(state, broker, clock, bus=bus)
    sender.start()
    # A plain subscriber on the cloud broker splits the round trip: edge answered vs cloud stored.
    on_broker: dict[str, float] = {}
    probe = make_client(broker, "bench-probe", persistent=False)
    probe.on_message = lambda _c, _u, m: on_broker.setdefault(
        orjson.loads(m.payload)["request_id"], time.perf_counter()
    )
    probe.on_connect = lambda c, *_a: c.subscribe(shed_topic(Kind.EDGE_RESULT, SHED), qos=0)
    connect_async(probe, broker, persistent=False)
    probe.loop_start()
    latencies: list[float] = []
    edge_ms: list[float] = []  # issued -> the edge's result on the cloud broker
    store_ms: list[float] = []  # result on the broker -> stored and announced on the bus
    lost = 0
    try:
        deadline = time.monotonic() + 30
        while not state.load_live().sheds.get(SHED) and time.monotonic() < deadline:
            time.sleep(0.05)  # the edge's birth: it is connected and subscribed
        time.sleep(0.5)
        for i in range(count + 10):  # the first 10 warm up
            started = time.perf_counter()
            cmd = sender.send(SHED, "stop_socket", actor="bench", device="post-1", socket=1 + i % SOCKETS)
            rid = cmd.request_id
            with arrived:
                ok = arrived.wait_for(lambda rid=rid: rid in answered, timeout=10)  # type: ignore[misc]
            if not ok:
                lost += 1
            elif i >= 10:
                latencies.append((answered[rid] - started) * 1000)
                seen = on_broker.get(rid)
                if seen is not None:
                    edge_ms.append((seen - started) * 1000)
                    store_ms.append((answered[rid] - seen) * 1000)
    finally:
        sender.stop()
        probe.disconnect()
        probe.loop_stop()
        edge.terminate()
        edge.wait(15)
        worker.stop()
        telemetry.close()
        state.close()
        cloud.stop()
        shed.stop()
    emit(
        {
            "bench": "commands",
            "commands": len(latencies) + lost,
            "command_p50_ms": round(percentile(latencies, 50), 2),
            "command_p99_ms": round(percentile(latencies, 99), 2),
            "command_max_ms": round(max(latencies), 2) if latencies else None,
            "edge_answer_p50_ms": round(percentile(edge_ms, 50), 2),
            "edge_answer_p99_ms": round(percentile(edge_ms, 99), 2),
            "cloud_store_p50_ms": round(percentile(store_ms, 50), 2),
            "cloud_store_p99_ms": round(percentile(store_ms, 99), 2),
            "lost": lost,
            "ingest_batch_delay_s": BATCH_DELAY_S,
        }
    )
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
