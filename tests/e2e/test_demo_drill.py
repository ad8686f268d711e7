"""`shedwatch demo --drill`: it prints the pages' addresses and an account per role, runs the thermal-runaway
drill, and the incident's alerts reach the local receiver the demo runs (printed as ALERT lines with their links)."""

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_demo_drill_pages_and_alerts(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "shedwatch", "demo", "--port", "0", "--data-dir", str(tmp_path), "--speed", "60"]
    proc = subprocess.Popen(
        [*args, "--drill", "10"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        text = lambda: "".join(lines)  # noqa: E731
        wait_until(lambda: "Ctrl-C stops it." in text() or "demo failed" in text(), timeout=90, what="demo start")
        pages = re.search(r"pages: control room (\S+)  security phone (\S+)  residents (\S+)", text())
        assert pages, text()
        for url in pages.groups():
            assert httpx.get(url, timeout=5).status_code == 200, url
        assert "drill: thermal runaway at shed-a a-post-1 socket 3 after 10 simulated s" in text()
        # One account per role, each with its own random password, that logs in.
        accounts = dict(re.findall(r"account: (\w+) +user \w+ +password (\S+)", text()))
        assert set(accounts) == {"admin", "operator", "security", "installer", "resident"}, text()
        assert len(set(accounts.values())) == 5
        base = pages.group(1).rsplit("/", 1)[0]
        login = httpx.post(f"{base}/api/v1/auth/login", json={"username": "operator", "password": accounts["operator"]})
        assert login.status_code == 200, login.text
        # Off-gas first (pre-fire), then the fire: the guard is alerted with links to accept from the phone.
        wait_until(lambda: re.search(r"ALERT \[(PRE-FIRE|FIRE)\] shed-a", text()), timeout=120, what="drill alert")
        accept = re.search(r"Accept: (http\S+/api/v1/alarms/link/ack\.\S+)", text())
        assert accept, text()
        assert httpx.get(accept.group(1), timeout=5).status_code == 200  # the link's page (GET never acts)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0, text()
        reader.join(10)
        assert "stopped." in text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
