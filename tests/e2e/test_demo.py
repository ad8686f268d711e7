"""`shedwatch demo` with nothing else running: it serves availability for two sheds and Ctrl-C exits 0."""

import signal
from pathlib import Path

import httpx
import pytest

from tests.e2e.demo_process import demo_process
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
    args = ["--port", "0", "--data-dir", str(tmp_path), "--speed", "60"]
    if broker == "embedded":
        args.append("--embedded")
    with demo_process(args, ROOT) as run:
        url = run.started()
        assert f"data: {tmp_path.resolve()} (kept" in run.text()  # --data-dir: one kept across runs
        page = httpx.get(url, timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        sheds = wait_until(lambda: _availability(url), timeout=90, what="two sheds of 30 sockets in availability")
        assert [s["shed"] for s in sheds] == ["shed-a", "shed-b"]
        for shed in sheds:
            counts = [shed[k] for k in ("free", "charging", "plugged", "full", "faulted", "stopped")]
            assert sum(counts) == shed["total"] == 30  # type: ignore[arg-type]
        run.proc.send_signal(signal.SIGINT)
        assert run.proc.wait(60) == 0, run.text()
        wait_until(lambda: "stopped." in run.text(), timeout=10, what="the last line")
