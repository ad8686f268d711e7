"""What the demo adds to show the whole product: an account per role with a random password, a rota whose alerts
go to a local webhook receiver the demo runs (printed as they arrive), and the thermal-runaway drill as a simulator
scenario for one shed."""

import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import tomli_w

from shedwatch.webhook_receiver import HttpReceiver

# Demo staff on duty all day: the escalation chain of docs/alarms.md, one person per level.
PEOPLE = {"guard-li": "guard", "leader-wang": "shift_leader", "manager-zhao": "property_manager"}


ROLES = ("admin", "operator", "security", "installer", "resident")
LINK_TTL_REAL_S = 3600  # an alert's links stay valid an hour of the viewer's time
MAX_LINK_TTL_S = 7 * 86400  # the most [links] ttl_s accepts (docs/alarms.md)
ACK_REAL_S, ONSITE_REAL_S = 180, 600  # the default promise (docs/alarms.md), in the viewer's minutes
PASSWORD_ENV = "SHEDWATCH_DEMO_PASSWORD"
EXIT_REFUSED = 1  # `shedwatch cloud user`: refused, e.g. the user name is taken (docs/accounts.md)


def demo_accounts(data_dir: Path, community: str, clock: str = "real") -> list[tuple[str, str, str | None]]:
    """One account per role (user name = the role), each with a fresh random password, through
    `shedwatch cloud user` on the cloud's ``clock`` (its --clock spec: created_ms is on the same simulated time
    as an account made through the API); (role, user name, password), the password None when the account was
    already there from an earlier run in the same data dir (its password is the one printed then). Never a default
    password."""
    made: list[tuple[str, str, str | None]] = []
    for role in ROLES:
        password = secrets.token_urlsafe(12)
        base = [sys.executable, "-m", "shedwatch", "cloud", "user", "--data-dir", str(data_dir), "--clock", clock]
        if role == "admin":
            args = [*base, "create-admin", "--username", role]
        else:
            args = [*base, "add", "--username", role, "--role", role, "--community", community, "--create-community"]
        args += ["--password-env", PASSWORD_ENV]
        env = {**os.environ, PASSWORD_ENV: password}
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        if done.returncode == EXIT_REFUSED and "taken" in (done.stderr + done.stdout):
            made.append((role, role, None))
        elif done.returncode != 0:
            raise RuntimeError(f"demo account {role}: exit {done.returncode}: {done.stderr.strip() or done.stdout}")
        else:
            made.append((role, role, password))
    return made


def alarm_toml(base_url: str, receiver_url: str, community: str, speed: float = 1.0) -> str:
    """The alarm config: every person's alerts as JSON posts to the receiver (one path per person).

    The whole demo runs on one clock, ``speed`` times real time (see real_minutes); what a person must do in
    time is sized in real time so that a viewer can: the signed links live LINK_TTL_REAL_S, the promise gives the
    guard the usual 3 minutes to accept and 10 to be on site, in real minutes."""
    doc = {
        "links": {"base_url": base_url.rstrip("/"), "ttl_s": min(LINK_TTL_REAL_S * speed, MAX_LINK_TTL_S)},
        "person": [{"id": p, "name": p, "targets": [f"json://{receiver_url}/{p}"]} for p in PEOPLE],
        "community": [
            {
                "name": community,
                "tz": "Asia/Shanghai",
                "ack_s": ACK_REAL_S * speed,
                "onsite_s": ONSITE_REAL_S * speed,
                "shift": [{"role": role, "person": p} for p, role in PEOPLE.items()],
            }
        ],
        "rate_limits": {"json": 600},
    }
    return tomli_w.dumps(doc)


def drill_scenario(shed_file: Path, at_s: float, device: str, socket: int, seed: int = 7) -> str:
    """A scenario running the shed with residents, plus a lithium pack on ``device``/``socket`` from the start
    that runs away thermally at ``at_s`` simulated seconds."""
    doc = {
        "name": "demo-thermal-runaway-drill",
        "seed": seed,
        "residents": True,
        "sheds": [{"path": str(shed_file)}],
        "bikes": [
            {
                "at_s": 0,
                "device": device,
                "socket": socket,
                "chemistry": "lithium",
                "voltage": 48,
                "capacity_ah": 20,
                "soc": 0.35,
                "charger_w": 250,
            }
        ],
        "faults": [{"at_s": at_s, "type": "thermal_runaway", "device": device, "socket": socket}],
    }
    return tomli_w.dumps(doc)


def alert_lines(text: str) -> list[str]:
    """An alert as the console shows it: its first line (the title) and its links."""
    lines = [line for line in text.splitlines() if line.strip()]
    links = [line for line in lines[1:] if ": http" in line]
    return [f"ALERT {lines[0] if lines else '(empty)'}", *(f"  {line}" for line in links)]


def watch_alerts(receiver: HttpReceiver, stop: threading.Event, out: Callable[[str], None]) -> threading.Thread:
    """Print each alert the receiver accepts (polled every 0.5 s) until ``stop`` is set."""

    def loop() -> None:
        seen = 0
        while not stop.wait(0.5):
            texts = receiver.texts()
            for text in texts[seen:]:
                for line in alert_lines(text):
                    out(line)
            seen = len(texts)

    thread = threading.Thread(target=loop, name="demo-alerts", daemon=True)
    thread.start()
    return thread
