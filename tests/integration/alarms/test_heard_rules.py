"""The cloud rules fed by what ingest hears, through the real service: mosquitto, `shedwatch cloud` (ingest and
alarm service in one process, SQLite), and an "edge" publishing telemetry as a real one would.

Small settings (environment of the cloud process) make the windows a couple of seconds.
"""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from protocol.uplink import AlarmClass, AlarmCleared, AlarmRaised, EdgeState, TelemetryBatch, TelemetryPoint
from shedwatch.mosquitto import Mosquitto
from tests.integration.alarms.edge_alarms import edge_alarm
from tests.integration.cloud.conftest import CloudProcess
from tests.integration.cloud.helpers import Publisher, wait_for

pytestmark = pytest.mark.integration
READINGS = {"ext-1": {"pressure_mpa": 1.2}, "env-1": {"temp_c": 21.0}}


class Edge:
    """One shed's uplink: a birth, then a telemetry batch every 0.2 s from the devices in ``talking``."""

    def __init__(self, port: int, shed: str) -> None:
        self.pub = Publisher(port)
        self.shed = shed
        self.seq = 0
        self.talking: set[str] = set()
        self.post_w = 100.0  # post-1's total power
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.pub.send([EdgeState(src=shed, seq=0, ts=self._now(), state="birth", session=1)])
        self._thread.start()

    @staticmethod
    def _now() -> int:
        return time.time_ns() // 1_000_000

    def send_event(self, make: Callable[[int, int], AlarmRaised | AlarmCleared]) -> None:
        """Publish an event with the next stream seq."""
        with self._lock:
            self.seq += 1
            self.pub.send([make(self.seq, self._now())])

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            now = self._now()
            points = []
            for device in sorted(self.talking):
                if device.startswith("post-"):
                    points.append(TelemetryPoint(ts=now, device=device, fields={"total_power_w": self.post_w}))
                    points.append(TelemetryPoint(ts=now, device=device, socket=1, fields={"power_w": 0.0}))
                else:
                    points.append(TelemetryPoint(ts=now, device=device, fields=READINGS[device]))
            if points:
                with self._lock:
                    self.seq += 1
                    self.pub.send([TelemetryBatch(src=self.shed, seq=self.seq, ts=now, points=points)])

    def close(self) -> None:
        """Stop publishing and disconnect."""
        self._stop.set()
        self._thread.join(5)
        self.pub.close()


def _state(db: Path, key: str) -> str | None:
    """The state of the newest instance of an alarm key, or None when never raised."""
    with sqlite3.connect(db, timeout=30) as conn:
        row = conn.execute("SELECT state FROM alarms WHERE key = ? ORDER BY instance DESC LIMIT 1", (key,)).fetchone()
    return None if row is None else str(row[0])


@pytest.fixture
def start_cloud(
    tmp_path: Path,
    mosquitto: Mosquitto,
    cloud_factory: Callable[..., CloudProcess],
    shed_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[dict[str, str]], tuple[CloudProcess, Path]]]:
    """Start the cloud with shed-a and shed-b registered (post-1, ext-1, env-1 each) and ``env`` settings;
    returns the process and its state database."""

    def start(env: dict[str, str]) -> tuple[CloudProcess, Path]:
        monkeypatch.setenv("SHEDWATCH_CLOUD_ALARM_TICK_S", "0.2")
        for name, value in env.items():
            monkeypatch.setenv(f"SHEDWATCH_CLOUD_{name}", value)
        args = ["--broker", mosquitto.url]
        for shed in ("shed-a", "shed-b"):
            args += ["--shed-config", str(shed_config(shed))]
        cloud = cloud_factory(args, data_dir=tmp_path / "cloud").start()
        return cloud, tmp_path / "cloud" / "state.db"

    yield start


def _health(cloud: CloudProcess) -> dict[str, object]:
    """The alarm service's counters (an anonymous route, for probes)."""
    health = cloud.get("/api/v1/alarms/health")
    assert isinstance(health, dict)
    service = health["service"]
    assert isinstance(service, dict)
    return service


def _device_offline(shed: str, device: str) -> Callable[[int, int], AlarmRaised | AlarmCleared]:
    def make(seq: int, now: int) -> AlarmRaised | AlarmCleared:
        return edge_alarm(
            shed,
            seq,
            now,
            alarm_type="device_offline",
            alarm_class=AlarmClass.TROUBLE,
            device=device,
            message="silent for 3 heartbeats",
        )

    return make


def test_a_post_that_stops_publishing_is_device_silent_until_heard_again(
    mosquitto: Mosquitto, start_cloud: Callable[[dict[str, str]], tuple[CloudProcess, Path]]
) -> None:
    cloud, db = start_cloud({"ALARM_DEVICE_SILENT_S": "3", "ALARM_DEVICE_REPORT_GRACE_S": "1"})
    edge = Edge(mosquitto.port, "shed-a")
    try:
        assert _health(cloud)["heard"] is True
        edge.talking = {"post-1", "ext-1", "env-1"}
        wait_for(lambda: edge.seq >= 5, what="a few batches")
        # env-1 falls silent too, but the edge says so itself: its device_offline is that fact, the cloud adds none
        edge.send_event(_device_offline("shed-a", "env-1"))
        edge.talking = {"ext-1"}
        wait_for(lambda: _state(db, "shed-a/post-1/0/device_silent") == "unack", timeout=30, what="post-1 silent")
        assert _state(db, "shed-a/env-1/0/device_offline") == "unack"
        assert _state(db, "shed-a/env-1/0/device_silent") is None
        assert _state(db, "shed-a/ext-1/0/device_silent") is None  # still talking
        # shed-b's edge was never heard from: its registered devices are not silent (edge_offline's business)
        assert _state(db, "shed-b/post-1/0/device_silent") is None

        edge.talking = {"post-1", "ext-1"}
        wait_for(
            lambda: _state(db, "shed-a/post-1/0/device_silent") == "rtn_unack", timeout=30, what="post-1 heard again"
        )
    finally:
        edge.close()


def test_a_post_over_its_limit_for_the_window_raises_post_over_limit_long_and_one_at_the_limit_does_not(
    mosquitto: Mosquitto, start_cloud: Callable[[dict[str, str]], tuple[CloudProcess, Path]]
) -> None:
    _, db = start_cloud({"ALARM_POST_OVER_S": "1.5"})
    at_limit = Edge(mosquitto.port, "shed-b")
    over = Edge(mosquitto.port, "shed-a")
    try:
        at_limit.post_w = 8700.0  # the shed's post_limit_w: not over it
        at_limit.talking = {"post-1", "ext-1", "env-1"}
        wait_for(lambda: at_limit.seq >= 3, what="shed-b talking")
        over.post_w = 9000.0
        over.talking = {"post-1", "ext-1", "env-1"}
        wait_for(lambda: _state(db, "shed-a/post-1/0/post_over_limit_long") == "unack", timeout=30, what="over")
        over.post_w = 100.0
        wait_for(
            lambda: _state(db, "shed-a/post-1/0/post_over_limit_long") == "rtn_unack", timeout=30, what="back under"
        )
        # shed-b has been at its limit longer than shed-a was over it
        assert _state(db, "shed-b/post-1/0/post_over_limit_long") is None
    finally:
        over.close()
        at_limit.close()


def test_with_several_ingest_workers_sharing_the_stream_the_rules_stay_off(
    start_cloud: Callable[[dict[str, str]], tuple[CloudProcess, Path]],
) -> None:
    # DELIVERY_ACKS=false is how several workers sharing the subscription run (docs/scaling.md): this worker
    # hears only part of each shed, so silence here would be a false alarm
    cloud, _ = start_cloud({"DELIVERY_ACKS": "false"})
    assert _health(cloud)["heard"] is False
