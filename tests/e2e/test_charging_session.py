"""A charging session end to end, through real processes and two real brokers, in simulated time (x60).

resident (HTTP, bearer token) -> cloud (API, session service, ingest, notifier) -> cloud broker -> edge agent ->
shed broker -> simulated post and bike; and back: the edge meters and ends the session, the cloud bills it under
the community's tariff, debits the wallet once, and notifies the resident at a local HTTP receiver ("charging
finished", then the reminders the national guide asks for before staff may move the bike).
The tariff's peak starts 5 simulated minutes after it is saved, so the charge crosses a flat -> peak boundary.
"""

import secrets
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
import tomli_w

from cloud.settings import CloudSettings
from protocol.clock import ScaledClock
from protocol.config import PostSpec, ShedConfig, Thresholds
from shedwatch.demo import ingest_ready
from shedwatch.mosquitto import Mosquitto
from shedwatch.ports import free_port
from shedwatch.processes import Child
from shedwatch.webhook_receiver import HttpReceiver
from tests.apiauth import bearer
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SPEED = 60
START_MS = 1_772_445_300_000  # 2026-03-02 17:55 Asia/Shanghai
ZONE = ZoneInfo("Asia/Shanghai")
PRICES = {"flat": 0.6, "peak": 1.2}


def tariff(peak_from: datetime) -> dict[str, Any]:
    """Peak for 6 hours from ``peak_from`` (local, to the minute), flat the rest of the day."""
    until = peak_from + timedelta(hours=6)
    schedule = [{"start": f"{t:%H:%M}", "period": p} for t, p in ((peak_from, "peak"), (until, "flat"))]
    return {"timezone": "Asia/Shanghai", "billing": "energy", "schedule": schedule, "per_kwh": PRICES}


SCENARIO = """
name = "e2e-charging-session"
seed = 3
speed = 60
duration_s = 86400
residents = false

[[sheds]]
path = "shed.toml"

[[bikes]]
at_s = 0
device = "post-1"
socket = 1
chemistry = "lithium"
voltage = 48
capacity_ah = 12
soc = 0.95
charger_w = 200
"""


@pytest.fixture
def run(
    tmp_path: Path, mosquitto_factory: Callable[..., Mosquitto], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    receiver = HttpReceiver().up()
    shed_broker, cloud_broker = mosquitto_factory(), mosquitto_factory(persistence=True)
    # The cloud process signs and checks tokens with this key; the test mints residents' and staff's tokens with it.
    monkeypatch.setenv("SHEDWATCH_CLOUD_SECRET_KEY", secrets.token_hex(24))
    # Simulated time runs 60x: the edge's answer may take a few real seconds on a loaded machine (30 s simulated
    # minutes), reminders every 2 simulated minutes (2 real seconds).
    monkeypatch.setenv("SHEDWATCH_CLOUD_CHARGING_CONFIRM_TIMEOUT_S", "1800")
    monkeypatch.setenv("SHEDWATCH_CLOUD_CHARGING_REMINDER_S", "120")
    monkeypatch.setenv("SHEDWATCH_CLOUD_CHARGING_TICK_S", "0.2")
    shed = ShedConfig(
        shed="shed-a",
        community="jinsong-north",
        mode="authorised",
        posts=[PostSpec(id="post-1", sockets=4)],
        extinguishers=["ext-1"],
        sensors=["env-1"],
        # as tests/integration/edge/test_charging_sessions.py: slow simulated posts are not stale
        thresholds=Thresholds(stale_samples=30, relay_confirm_s=120, heartbeat_s=600, full_hold_s=120),
    )
    agent = {"shed_broker": shed_broker.url, "cloud_broker": cloud_broker.url, "data_dir": str(tmp_path / "edge")}
    (tmp_path / "shed.toml").write_text(tomli_w.dumps({"agent": agent, "shed": shed.model_dump(mode="json")}))
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sim_clock = ScaledClock(speed=SPEED, epoch_ms=START_MS)
    clock = ["--clock", sim_clock.spec()]
    logs, data = tmp_path / "logs", tmp_path / "cloud"
    cloud_args = ["cloud", "--broker", cloud_broker.url, "--port", str(port), "--data-dir", str(data), *clock]
    cloud_args += ["--shed-config", str(tmp_path / "shed.toml")]
    children = [Child.shedwatch("cloud", cloud_args, log_dir=logs, cwd=ROOT)]
    try:
        wait_until(lambda: _health(base), timeout=60, what="cloud ingest subscribed")
        edge_args = ["edge", "--config", str(tmp_path / "shed.toml"), *clock]
        children.append(Child.shedwatch("edge", edge_args, log_dir=logs, cwd=ROOT))
        sim_args = ["sim", "run", str(tmp_path / "scenario.toml"), "--broker", shed_broker.url, *clock]
        children.append(Child.shedwatch("sim", sim_args, log_dir=logs, cwd=ROOT))
        yield {"base": base, "receiver": receiver, "children": children, "db": data / "state.db", "clock": sim_clock}
    finally:
        codes = {c.name: c.stop() for c in reversed(children)}
        receiver.down()
        for child in children:
            sys.stderr.write(f"--- {child.name} log tail ---\n{child.log_tail(1500)}\n")
    assert codes == {"cloud": 0, "edge": 0, "sim": 0}, codes


def _health(url: str) -> bool:
    try:
        return ingest_ready(httpx.get(f"{url}/healthz", timeout=2).json())
    except (httpx.HTTPError, ValueError):
        return False


def _expected_fen(db: Path, session: str, peak_from: datetime) -> tuple[int, float]:
    """The tariff's price of what the edge metered (its session events), computed here on its own: each interval's
    energy spread evenly over it, split where the peak starts; rounded half-up to the fen once."""
    with sqlite3.connect(db, timeout=30) as conn:
        rows = [orjson.loads(r[0]) for r in conn.execute("SELECT body FROM events ORDER BY seq")]
    mine = [r for r in rows if r.get("session") == session]
    readings = [(r["ts"], 0.0 if r["type"] == "session_started" else r["energy_wh"]) for r in mine]
    boundary = int(peak_from.timestamp() * 1000)
    yuan = 0.0
    for (a, ea), (b, eb) in pairwise(readings):
        delta = eb - ea
        share = min(max((boundary - a) / (b - a), 0.0), 1.0)  # the part before the peak starts
        yuan += delta * share / 1000 * PRICES["flat"] + delta * (1 - share) / 1000 * PRICES["peak"]
    fen = int((Decimal(repr(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return fen, readings[-1][1]


def test_a_resident_charges_by_qr_id_to_full_is_notified_and_billed_by_the_tariff(run: dict[str, Any]) -> None:
    base, receiver, db = run["base"], run["receiver"], run["db"]
    settings = CloudSettings()  # the same secret key as the cloud process (the environment)
    admin = bearer(settings, "admin", communities=("jinsong-north",), user_id="admin-1")
    operator = bearer(settings, "operator", communities=("jinsong-north",), user_id="op-1")

    def alive() -> None:
        for child in run["children"]:
            assert child.exit_code is None, f"{child.name} died:\n{child.log_tail()}"

    # A new connection per request: a kept-alive one the server closes meanwhile (5 s idle) resets on a busy machine.
    with httpx.Client(base_url=base, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as http:
        # Only an existing resident is credited (by user name here); her token carries her account id.
        account = {"username": "alice", "password": "a long resident passphrase", "role": "resident"}
        r = http.post("/api/v1/users", json={**account, "communities": ["jinsong-north"]}, headers=admin)
        assert r.status_code == 201, r.text
        alice = bearer(settings, "resident", communities=("jinsong-north",), user_id=r.json()["id"])
        credit = {"amount_fen": 2000, "community": "jinsong-north", "note": "cash at the desk"}
        assert http.post("/api/v1/residents/alice/wallet/credits", json=credit, headers=operator).status_code == 201
        hook = f"json://127.0.0.1:{receiver.port}/alice"
        settings_body = {"channel": hook, "finished": True, "stopped": True, "free_socket": False, "sheds": []}
        assert http.put("/api/v1/me/notifications", json=settings_body, headers=alice).status_code == 200

        # The bike is plugged in and waits, relay open; the resident scans the socket's QR code.
        def plugged() -> bool:
            alive()
            r = http.get("/api/v1/sheds/shed-a/sockets/post-1/1", headers=operator)
            return r.status_code == 200 and r.json().get("status") == "plugged"

        wait_until(plugged, timeout=60, what="the bike plugged in")
        # The admin's tariff: the peak starts 3-4 simulated minutes (seconds here) from now, during the charge.
        now = datetime.fromtimestamp(run["clock"].now_ms() / 1000, tz=UTC).astimezone(ZONE)
        peak_from = (now + timedelta(minutes=4)).replace(second=0, microsecond=0)
        body = tariff(peak_from)
        assert http.put("/api/v1/communities/jinsong-north/tariff", json=body, headers=admin).status_code == 200
        r = http.post("/api/v1/sessions", json={"qr": "shed-a-post-1-1", "limit_wh": 500}, headers=alice)
        assert r.status_code == 201, r.text
        session = r.json()
        assert session["status"] == "active", session
        sid = session["id"]

        # It charges to full; the edge ends the session and the cloud settles it.
        def ended() -> dict[str, Any] | None:
            alive()
            s = http.get(f"/api/v1/sessions/{sid}", headers=alice).json()
            return s if s["status"] == "ended" else None

        done = wait_until(ended, timeout=60, what="the session ended")
        assert done["end_reason"] == "full", done
        expected_fen, edge_wh = _expected_fen(db, sid, peak_from)
        assert done["energy_wh"] == pytest.approx(edge_wh, abs=0.005) and edge_wh > 5.0
        boundary = peak_from.timestamp() * 1000
        # Nearly always it crosses into the peak; on a badly loaded machine the start may come after it.
        periods = {"flat", "peak"} if done["active_ms"] < boundary < done["ended_ms"] else {"peak"}
        assert set(done["cost_by_period_fen"]) == periods, (done, boundary)
        assert done["cost_fen"] == expected_fen and done["charged_fen"] == expected_fen
        wallet = http.get("/api/v1/wallet", headers=alice).json()
        assert wallet["balance_fen"] == 2000 - expected_fen
        assert [line["kind"] for line in wallet["ledger"]] == ["debit", "credit"]

        # The resident is told at their channel: finished, then 3 reminders while the bike stays.
        def notices() -> list[dict[str, Any]] | None:
            alive()
            mine = [m for m in receiver.accepted if f"Ref: {sid}" in m["message"]]
            return mine if len(mine) >= 4 else None

        told = wait_until(notices, timeout=30, what="finished + 3 reminders")
        assert told[0]["title"] == "Charging finished: please move your bike"
        assert f"{expected_fen / 100:.2f} yuan" in told[0]["message"]
        assert [m["title"] for m in told[1:]] == ["Reminder: please move your bike"] * 3
        assert http.get(f"/api/v1/sessions/{sid}", headers=operator).json()["reminders"] == 3  # staff may move it
