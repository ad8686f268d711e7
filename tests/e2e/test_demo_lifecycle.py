"""`shedwatch demo`'s life: a closed terminal (SIGHUP) stops every part in order, a SIGKILL of the demo leaves no
part running, a taken --port fails with one clear line before anything starts, and a kept data dir goes on in
simulated time (its restart raising no edge_offline for the outage its own stop caused)."""

import http.server
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from shedwatch.demo import EXIT_PORT_IN_USE
from shedwatch.demo_clock import load_clock
from tests.e2e.demo_process import Run, demo_process
from tests.unit.demo.test_demo_processes import NotJson, alive
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def demo(data_dir: Path, *extra: str) -> Iterator[Run]:
    """The demo at 60x in ``data_dir`` (any free port unless ``extra`` gives one)."""
    port = [] if "--port" in extra else ["--port", "0"]
    with demo_process(["--speed", "60", "--data-dir", str(data_dir), *port, *extra], ROOT) as run:
        yield run


def test_sighup_stops_every_part_in_order_and_exits_0(tmp_path: Path) -> None:
    with demo(tmp_path) as run:
        run.started()
        parts = run.parts()
        assert len(parts) >= 6, parts  # mosquitto, the cloud, two edges, two simulators
        run.proc.send_signal(signal.SIGHUP)
        assert run.proc.wait(60) == 0, run.text()
        wait_until(lambda: "stopped." in run.text(), timeout=10, what="the last line")
        assert [pid for pid in parts if alive(pid)] == []


def test_a_killed_demo_leaves_no_part_running(tmp_path: Path) -> None:
    with demo(tmp_path) as run:
        run.started()
        parts = run.parts()
        assert len(parts) >= 6, parts
        run.proc.send_signal(signal.SIGKILL)
        run.proc.wait()
        try:
            wait_until(lambda: not any(alive(pid) for pid in parts), timeout=60, what="the parts to end")
        finally:
            for pid in parts:
                if alive(pid):
                    subprocess.run(["kill", "-KILL", str(pid)], check=False)


def test_a_taken_port_fails_with_one_line_and_starts_nothing(tmp_path: Path) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), NotJson)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        done = subprocess.run(
            [sys.executable, "-m", "shedwatch", "demo", "--port", str(port), "--data-dir", str(tmp_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == EXIT_PORT_IN_USE, done.stdout + done.stderr
    assert done.stderr == f"demo: port {port} is in use\n" and done.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no broker, no logs, no stores: nothing was started


def test_a_kept_data_dir_goes_on_in_simulated_time_and_the_edges_come_back(tmp_path: Path) -> None:
    with demo(tmp_path) as first:
        base = first.started()
        began = load_clock(tmp_path)
        assert began is not None
        password = re.search(r"account: admin +user admin +password (\S+)", first.text())
        assert password, first.text()
        wait_until(lambda: len(_get(base, "api/v1/availability")["sheds"]) == 2, timeout=90, what="both sheds")
        first.proc.send_signal(signal.SIGINT)
        assert first.proc.wait(60) == 0, first.text()
    stopped = load_clock(tmp_path)
    assert stopped is not None and stopped.stopped_ms is not None
    with demo(tmp_path) as again:
        base = again.started()
        clock = load_clock(tmp_path)
        assert clock is not None and clock.epoch_ms == stopped.stopped_ms  # on from where the first run stopped
        auth = {"Authorization": "Bearer " + _token(base, password.group(1))}

        def offline_alarms() -> list[dict[str, object]]:
            return [a for a in _get(base, "api/v1/alarms", auth)["alarms"] if a["type"] == "edge_offline"]

        # The first run's orderly stop took the edges away before the cloud: the cloud recorded their wills. The
        # restart gives each edge the usual silence window to come back before judging it offline, so once both
        # are back nothing was raised in this run: the restart paged no one for the outage it caused itself.
        def both_back() -> bool:
            sheds = _get(base, "api/v1/availability")["sheds"]
            return len(sheds) == 2 and all(s["edge_online"] is True for s in sheds)

        wait_until(both_back, timeout=120, what="edges back")
        raised = [a["raised_ms"] for a in offline_alarms()]
        assert all(isinstance(t, int) and t < clock.epoch_ms for t in raised), (raised, clock.epoch_ms, again.text())
        # One the stop itself raised (if a rule pass ran before the cloud stopped) returns to normal.
        wait_until(lambda: all(a["cleared_ms"] is not None for a in offline_alarms()), timeout=120, what="cleared")
        # Nothing stored is later than the cloud's now: the clock went on instead of starting again at 17:00.
        now = clock.at_real(time.time_ns() // 1_000_000) + 1
        stamps = [s["updated_ts"] for s in _get(base, "api/v1/availability")["sheds"]]
        stamps += [a["updated_ms"] for a in _get(base, "api/v1/alarms", auth)["alarms"]]
        assert stamps and all(isinstance(t, int) and t <= now for t in stamps), (stamps, now)
        # The demo's accounts were made on the cloud's (simulated) clock, as the API makes them, not the wall's.
        users = httpx.get(f"{base}api/v1/users", headers=auth, timeout=10).json()
        made = [u["created_ms"] for u in users if u["username"] in ("admin", "operator", "resident")]
        assert len(made) == 3 and all(began.epoch_ms <= t <= stopped.stopped_ms for t in made), (made, began)


def _get(base: str, path: str, headers: dict[str, str] | None = None) -> dict[str, list[dict[str, object]]]:
    r = httpx.get(base + path, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    body: dict[str, list[dict[str, object]]] = json.loads(r.text)
    return body


def _token(base: str, password: str) -> str:
    r = httpx.post(f"{base}api/v1/auth/token", data={"username": "admin", "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])
