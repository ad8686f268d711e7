"""A VictoriaMetrics process on a free port with its own data dir: it accepts InfluxDB's /api/v2/write."""

import shutil
import subprocess
import time
from pathlib import Path

import httpx

from shedwatch.ports import free_port


def find_victoria() -> str:
    """Path of the victoria-metrics binary (scripts/setup.sh --test installs it)."""
    path = shutil.which("victoria-metrics") or shutil.which("victoria-metrics", path="/usr/bin:/usr/local/bin")
    if path is None:
        raise RuntimeError("victoria-metrics not found: run scripts/setup.sh --test (apt-get install victoria-metrics)")
    return path


class Victoria:
    """victoria-metrics with retention long enough for fixed test timestamps and InfluxDB-like overwrites."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """HTTP base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Victoria":
        """Start and wait for /health."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            find_victoria(),
            f"-storageDataPath={self.workdir / 'data'}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            "-retentionPeriod=100y",
            # InfluxDB keeps one value per series and timestamp: make replays collapse the same way.
            "-dedup.minScrapeInterval=1ms",
        ]
        with (self.workdir / "victoria.log").open("ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"victoria-metrics did not start: {(self.workdir / 'victoria.log').read_text()[-2000:]}")

    def export(self, match: str = '{__name__=~"telemetry_.*"}') -> list[dict[str, object]]:
        """Every stored series matching ``match`` (after a forced flush)."""
        httpx.get(f"{self.url}/internal/force_flush", timeout=10).raise_for_status()
        r = httpx.get(f"{self.url}/api/v1/export", params={"match[]": match}, timeout=10)
        r.raise_for_status()
        import json

        return [json.loads(line) for line in r.text.splitlines() if line.strip()]

    def stop(self) -> None:
        """Terminate and wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
