"""Fixtures of the cloud integration tests: the `shedwatch cloud` command as a real process."""

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from cloud.state.store import StateStore
from shedwatch.ports import free_port
from tests.integration.cloud.postgres import fresh_schema

REPO = Path(__file__).resolve().parents[3]

SHED_TOML = """
[agent]
shed_broker = "mqtt://127.0.0.1:1"
cloud_broker = "mqtt://127.0.0.1:1"
data_dir = "/nonexistent"
[shed]
shed = "{shed}"
community = "jinsong-north"
extinguishers = ["ext-1"]
sensors = ["env-1"]
[[shed.posts]]
id = "post-1"
sockets = 10
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """A migrated state store, once on SQLite and once on PostgreSQL (a fresh schema)."""
    if request.param == "sqlite":
        s = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
        s.migrate()
        yield s
        s.close()
        return
    with fresh_schema() as url:
        s = StateStore(url)
        s.migrate()
        yield s
        s.close()


class CloudProcess:
    """`python -m shedwatch cloud ...` on a free HTTP port."""

    def __init__(self, args: list[str], data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.args = [sys.executable, "-m", "shedwatch", "cloud", *args]
        self.args += ["--port", str(self.port), "--data-dir", str(data_dir)]
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """Base URL of the API."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "CloudProcess":
        """Start and wait (at most ``timeout`` s) for /healthz."""
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(self.args, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"cloud did not start: {self.log.read_text()[-3000:]}")

    def get(self, path: str) -> object:
        """GET a JSON document."""
        r = httpx.get(f"{self.base}{path}", timeout=5)
        r.raise_for_status()
        return r.json()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal and wait; returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        rc = self.proc.wait(20)
        self.proc = None
        return rc

    def kill(self) -> None:
        """SIGKILL if still running."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@pytest.fixture
def cloud_factory(tmp_path: Path) -> Iterator[Callable[..., CloudProcess]]:
    """Start `shedwatch cloud` processes; all are killed after the test."""
    started: list[CloudProcess] = []

    def make(args: list[str], *, data_dir: Path | None = None) -> CloudProcess:
        proc = CloudProcess(args, data_dir or tmp_path / "cloud", tmp_path / f"cloud-{len(started)}.log")
        started.append(proc)
        return proc

    yield make
    for proc in started:
        proc.kill()


@pytest.fixture
def shed_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a shed TOML file (the edge's format) and return its path."""

    def write(shed: str) -> Path:
        path = tmp_path / f"{shed}.toml"
        path.write_text(SHED_TOML.format(shed=shed))
        return path

    return write
