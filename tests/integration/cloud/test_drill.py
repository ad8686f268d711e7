"""Drill: two standalone ingest workers share the subscription; one is SIGKILLed mid-stream and restarted.

Every message must be stored exactly once, and an API process without ingest must
still learn live state (it re-reads the store).
"""

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from protocol.uplink import SocketStatus as S
from shedwatch.mosquitto import Mosquitto
from tests.integration.cloud.conftest import REPO, CloudProcess
from tests.integration.cloud.helpers import Publisher, birth, status, telemetry, wait_for

pytestmark = pytest.mark.integration
N = 3000


def _worker(broker: str, data: Path, wid: str, log: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "shedwatch", "cloud", "ingest", "--broker", broker, "--data-dir", str(data)]
    with log.open("ab") as fh:
        return subprocess.Popen([*args, "--worker-id", wid], cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)


def _subscribed_times(log: Path) -> int:
    return log.read_text().count("ingest: subscribed") if log.exists() else 0


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_sigkilled_worker_loses_and_doubles_nothing(
    tmp_path: Path, mosquitto: Mosquitto, cloud_factory: Callable[..., CloudProcess]
) -> None:
    data = tmp_path / "data"
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    workers = [_worker(mosquitto.url, data, f"w{i + 1}", logs[i]) for i in range(2)]
    try:
        for log in logs:
            wait_for(lambda log=log: _subscribed_times(log) >= 1, timeout=30, what=f"{log.name} subscribed")
        api = cloud_factory(["--broker", mosquitto.url, "--no-ingest"], data_dir=data).start()
        pub = Publisher(mosquitto.port)
        pub.send([birth("shed-a", 0, {("post-1", 1): S.FREE, ("post-1", 2): S.FREE})])
        sent = threading.Event()

        def publish() -> None:
            for start in range(1, N + 1, 100):
                pub.send([telemetry("shed-a", seq) for seq in range(start, start + 100)])
            sent.set()

        thread = threading.Thread(target=publish)
        thread.start()
        telemetry_db = data / "telemetry.db"
        wait_for(
            lambda: telemetry_db.exists() and _count(telemetry_db, "SELECT count(*) FROM seen") >= N // 4,
            timeout=60,
            what="a quarter stored",
        )
        workers[0].kill()  # SIGKILL mid-stream: its unacknowledged messages stay in its broker session
        workers[0].wait()
        wait_for(lambda: _count(telemetry_db, "SELECT count(*) FROM seen") >= N // 2, timeout=60, what="half stored")
        workers[0] = _worker(mosquitto.url, data, "w1", logs[0])
        thread.join(120)
        assert sent.is_set()
        pub.send([status("shed-a", N + 1, "post-1", 2, S.CHARGING)])
        wait_for(lambda: _count(telemetry_db, "SELECT count(*) FROM seen") >= N, timeout=60, what="all stored")
        assert _count(telemetry_db, "SELECT count(*) FROM seen") == N
        assert _count(telemetry_db, "SELECT count(*) FROM raw") == N  # one point per message: no doubles
        assert _count(telemetry_db, "SELECT count(DISTINCT ts) FROM raw") == N
        # The API learns live state from the store written by the workers.
        wait_for(
            lambda: any(s["charging"] == 1 and s["free"] == 1 for s in api.get("/api/v1/availability")["sheds"]),
            what="API sees the workers' state",
        )
        pub.close()
        assert api.stop() == 0
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            assert w.wait(20) == 0
