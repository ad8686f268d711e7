"""Fixtures of the cloud integration tests: the `shedwatch cloud` command as a real process."""

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cloud.api.app import create_app
from cloud.auth.directory import Directory
from cloud.auth.settings import AuthSettings
from cloud.settings import CloudSettings
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


# Argon2 at its lowest costs: the tests hash many passwords; production costs are tested in tests/unit.
CHEAP_ARGON2: dict[str, Any] = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}


@dataclass
class Api:
    """The API in-process: its settings, app, an httpx client over ASGI (base http://t) and its accounts."""

    settings: CloudSettings
    app: FastAPI
    client: httpx.AsyncClient
    directory: Directory


@pytest.fixture
async def api(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    """The app with stores opened by its lifespan (no ingest, no alarms); settings overridable by
    ``@pytest.mark.parametrize("api_settings", [{...}])``-style indirect use via ``request.param``."""
    over: dict[str, Any] = getattr(request, "param", {})
    settings = CloudSettings(
        data_dir=tmp_path, ingest=False, alarms=False, environment="development", **{**CHEAP_ARGON2, **over}
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        cloud = app.state.cloud
        directory = Directory(cloud.stores.state.engine, settings.password_hasher(), now_ms=cloud.clock.now_ms)
        yield Api(settings, app, client, directory)


class CloudProcess:
    """`python -m shedwatch cloud ...` on a free HTTP port."""

    def __init__(self, args: list[str], data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.args = [sys.executable, "-m", "shedwatch", "cloud", *args]
        self.args += ["--port", str(self.port), "--data-dir", str(data_dir)]
        self.log = log
        # A known token key, so a test can call the process's staff routes (tests.apiauth.bearer).
        self.auth = AuthSettings(environment="development", secret_key=secrets.token_urlsafe(48))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """Base URL of the API."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "CloudProcess":
        """Start and wait (at most ``timeout`` s) for /healthz."""
        with self.log.open("ab") as fh:
            env = {**os.environ, "SHEDWATCH_CLOUD_SECRET_KEY": self.auth.secret_key.get_secret_value()}
            self.proc = subprocess.Popen(self.args, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, env=env)
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

    def get(self, path: str, headers: dict[str, str] | None = None) -> object:
        """GET a JSON document (``headers``: e.g. ``tests.apiauth.bearer(proc.auth, ...)``)."""
        r = httpx.get(f"{self.base}{path}", timeout=5, headers=headers)
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
