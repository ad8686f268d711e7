"""`shedwatch demo`: it prints the pages' addresses, an account per role, what runs fast and what in real time, and
a QR id a resident can charge at on the authorised shed; the thermal-runaway drill starts by the admin's button
(POST /api/v1/demo/drill) or by --drill, and its alerts reach the local receiver the demo runs (ALERT lines with
their links). Run again in the same working directory, it starts from a fresh data dir and the drill runs again."""

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.demo_process import Run, demo_process
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ALERT = r"ALERT \[(PRE-FIRE|FIRE)\] shed-a"


@contextmanager
def demo(cwd: Path, *extra: str) -> Iterator[Run]:
    """Run the demo (default data dir, under ``cwd``) until the block ends, then Ctrl-C; it must exit 0."""
    with demo_process(["--port", "0", "--speed", "60", *extra], cwd) as run:
        yield run
        run.proc.send_signal(signal.SIGINT)
        assert run.proc.wait(60) == 0, run.text()
        wait_until(lambda: "stopped." in run.text(), timeout=10, what="the last line")


def token(base: str, user: str, password: str) -> dict[str, str]:
    r = httpx.post(f"{base}api/v1/auth/token", data={"username": user, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_admins_button_starts_the_drill_a_resident_charges_and_a_rerun_drills_again(tmp_path: Path) -> None:
    with demo(tmp_path) as run:
        base = run.started()
        text = run.text()
        pages = re.search(r"pages: control room (\S+)  security phone (\S+)  residents (\S+)", text)
        assert pages, text
        for url in pages.groups():
            assert httpx.get(url, timeout=5).status_code == 200, url
        data = re.search(r"data: (\S+) \(fresh", text)
        assert data and Path(data.group(1)).parent == tmp_path / "data" / "demo", text
        first_dir = data.group(1)
        # One account per role, each with its own random password.
        accounts = dict(re.findall(r"account: (\w+) +user \w+ +password (\S+)", text))
        assert set(accounts) == {"admin", "operator", "security", "installer", "resident"}, text
        assert len(set(accounts.values())) == 5
        # What runs fast and what is sized in real time, said plainly.
        assert "runs on one simulated clock, 60x real time" in text, text
        assert "alert links stay valid 60 real minutes, a guard has 3 real minutes to accept" in text, text
        assert "press the drill button: thermal runaway at shed-a post-1 socket 3" in text, text

        # The resident charges at the QR id printed: a bike waits plugged in there, on the authorised shed.
        qr = re.search(r"a bike waits plugged in at QR id (shed-b-post-1-2):", text)
        assert qr, text
        resident = token(base, "resident", accounts["resident"])

        def started() -> dict[str, object] | None:
            r = httpx.post(f"{base}api/v1/sessions", json={"qr": qr.group(1), "limit_wh": 200}, headers=resident)
            return r.json() if r.status_code in (200, 201) else None  # 409 until the edge reports the bike plugged

        session = wait_until(started, timeout=90, interval=1, what="a session on the authorised shed")
        assert session["qr"] == "shed-b-post-1-2", session

        def charging() -> bool:
            sockets = httpx.get(f"{base}api/v1/availability", timeout=5).json()["sheds"]
            return any(s["shed"] == "shed-b" and s["charging"] >= 1 for s in sockets)

        wait_until(charging, timeout=60, what="the resident's bike charging on shed-b")

        # No drill until the admin presses the button; an operator may not.
        assert not re.search(ALERT, run.text())
        operator = token(base, "operator", accounts["operator"])
        assert httpx.post(f"{base}api/v1/demo/drill", headers=operator, timeout=10).status_code == 403
        admin = token(base, "admin", accounts["admin"])
        assert httpx.post(f"{base}api/v1/demo/drill", headers=admin, timeout=10).status_code == 202
        # Off-gas first (pre-fire), then the fire: the guard is alerted with links to accept from the phone.
        wait_until(lambda: re.search(ALERT, run.text()), timeout=120, what="drill alert")
        accept = re.search(r"Accept: (http\S+/api/v1/alarms/link/ack\.\S+)", run.text())
        assert accept, run.text()
        assert httpx.get(accept.group(1), timeout=5).status_code == 200  # the link's page (GET never acts)

    # Again in the same place: a fresh data dir, and the drill (by the flag this time) runs again.
    with demo(tmp_path, "--drill", "10") as again:
        again.started()
        assert "drill: thermal runaway at shed-a post-1 socket 3 after 10 simulated s" in again.text()
        data = re.search(r"data: (\S+) \(fresh", again.text())
        assert data and data.group(1) != first_dir, again.text()
        wait_until(lambda: re.search(ALERT, again.text()), timeout=120, what="drill alert of the re-run")
