"""`shedwatch demo` with nothing else running: it serves availability for two sheds and Ctrl-C exits 0."""

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _availability(url: str) -> list[dict[str, object]] | None:
    try:
        sheds = httpx.get(f"{url}api/v1/availability", timeout=2).json()["sheds"]
    except (httpx.HTTPError, ValueError, KeyError):
        return None
    # Both sheds, each with all 30 sockets reported (a shed appears with its first post's births).
    return sheds if len(sheds) == 2 and all(s.get("total") == 30 for s in sheds) else None


@pytest.mark.parametrize("broker", ["mosquitto", "embedded"])
def test_demo_runs_and_stops_cleanly_on_ctrl_c(tmp_path: Path, broker: str) -> None:
    args = [sys.executable, "-m", "shedwatch", "demo", "--port", "0", "--data-dir", str(tmp_path), "--speed", "60"]
    if broker == "embedded":
        args.append("--embedded")
    proc = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "open http" in line or "demo failed" in line:
                break
        match = re.search(r"open (http://\S+/)", "".join(lines))
        assert match, "".join(lines)
        url = match.group(1)
        assert f"data: {tmp_path.resolve()} (kept" in "".join(lines)  # --data-dir: one kept across runs
        page = httpx.get(url, timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        sheds = wait_until(lambda: _availability(url), timeout=90, what="two sheds of 30 sockets in availability")
        assert [s["shed"] for s in sheds] == ["shed-a", "shed-b"]
        for shed in sheds:
            counts = [shed[k] for k in ("free", "charging", "plugged", "full", "faulted")]
            assert sum(counts) == shed["total"] == 30  # type: ignore[operator]
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            # Ctrl-C first: the demo stops its children (each in a session of its own, so a SIGKILL of the demo
            # alone would leave them running); kill only what does not stop.
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, "".join(lines) + (out or "")
    assert "stopped." in out
