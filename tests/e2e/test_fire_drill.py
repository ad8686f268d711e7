"""The thermal-runaway drill end to end, through real processes and two real brokers, in simulated time (x60).

simulated posts and sensors -> shed broker -> edge agent -> cloud broker -> cloud (ingest, alarm service,
notifier) -> local webhook receiver. Expect one incident; the guard on duty alerted (then one update when the
fire follows the off-gas), not fifty; the shift leader paged when nobody accepts within 3 simulated minutes;
acceptance and arrival through the signed links; the clocks and the report recorded.
"""

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from protocol.clock import ScaledClock
from protocol.config import PostSpec, ShedConfig
from shedwatch.demo import ingest_ready
from shedwatch.demo_config import shed_toml
from shedwatch.mosquitto import Mosquitto
from shedwatch.ports import free_port
from shedwatch.processes import Child
from tests.integration.alarms.conftest import rota_toml
from tests.integration.alarms.receivers import HttpReceiver
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SPEED = 60

SCENARIO = """
name = "e2e-fire-drill"
seed = 7
residents = false

[[sheds]]
path = "shed.toml"

[[bikes]]
at_s = 0
device = "post-1"
socket = 3
chemistry = "lithium"
voltage = 48
capacity_ah = 20
soc = 0.35
charger_w = 250

[[faults]]
at_s = 20
type = "thermal_runaway"
device = "post-1"
socket = 3
"""


@pytest.fixture
def drill(tmp_path: Path, mosquitto_factory: Callable[..., Mosquitto]) -> Iterator[dict[str, Any]]:
    receiver = HttpReceiver().up()
    shed_broker = mosquitto_factory()
    cloud_broker = mosquitto_factory(persistence=True)
    shed = ShedConfig(
        shed="shed-a",
        community="jinsong-north",
        posts=[PostSpec(id="post-1", sockets=4)],
        extinguishers=["ext-1"],
        sensors=["env-1"],
    )
    (tmp_path / "shed.toml").write_text(
        shed_toml(shed, shed_broker=shed_broker.url, cloud_broker=cloud_broker.url, data_dir=tmp_path / "edge")
    )
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hook = f"json://127.0.0.1:{receiver.port}"
    people = {p: [f"{hook}/{p.split('-')[0]}"] for p in ("guard-li", "leader-wang", "manager-zhao")}
    (tmp_path / "alarms.toml").write_text(rota_toml(base, people, community="jinsong-north"))
    clock = ["--clock", ScaledClock(speed=SPEED).spec()]
    logs = tmp_path / "logs"
    data = tmp_path / "cloud"
    cloud_args = ["cloud", "--broker", cloud_broker.url, "--port", str(port), "--data-dir", str(data), *clock]
    cloud_args += ["--shed-config", str(tmp_path / "shed.toml"), "--alarm-config", str(tmp_path / "alarms.toml")]
    cloud = Child.shedwatch("cloud", cloud_args, log_dir=logs, cwd=ROOT)
    wait_until(lambda: _health(base), timeout=60, what="cloud ingest subscribed")
    children = [
        cloud,
        Child.shedwatch("edge", ["edge", "--config", str(tmp_path / "shed.toml"), *clock], log_dir=logs, cwd=ROOT),
    ]
    sim_args = ["sim", "run", str(tmp_path / "scenario.toml"), "--broker", shed_broker.url, *clock]
    children.append(Child.shedwatch("sim", sim_args, log_dir=logs, cwd=ROOT))
    yield {"base": base, "receiver": receiver, "children": children, "data": data, "clock": clock}
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


def _incidents(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db, timeout=30) as conn:
        return [json.loads(r[0]) for r in conn.execute("SELECT body FROM incidents ORDER BY opened_ms")]


def _link(text: str, label: str) -> str:
    return next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith(f"{label}: "))


def test_thermal_runaway_one_incident_escalation_links_clocks(drill: dict[str, Any]) -> None:
    receiver: HttpReceiver = drill["receiver"]
    db = drill["data"] / "state.db"

    def alive() -> None:
        for child in drill["children"]:
            assert child.exit_code is None, f"{child.name} died:\n{child.log_tail()}"

    def texts_for(ref: str) -> list[str]:
        alive()
        return [t for t in receiver.texts() if f"Ref: {ref}" in t]

    # Off-gas (pre-fire) first: the guard on duty is alerted.
    first = wait_until(lambda: [t for t in receiver.texts() if "/open/guard-li" in t], timeout=60, what="guard alert")
    incident_id = re.search(r"Ref: (\S+)/open/guard-li", first[0]).group(1)  # type: ignore[union-attr]
    # Nobody accepts: after 3 simulated minutes the shift leader is paged.
    leader = wait_until(lambda: texts_for(f"{incident_id}/ack_overdue_1/leader-wang"), timeout=30, what="escalation")
    # The fire develops (smoke, extinguisher discharge): still one incident, upgraded to fire.
    wait_until(lambda: (i := _incidents(db)) and i[0]["alarm_class"] == "fire", timeout=60, what="fire upgrade")
    # The upgrade pages as a new fire would: the guard and the shift leader at once, clocks from the upgrade.
    wait_until(lambda: texts_for(f"{incident_id}/up1_open/leader-wang"), timeout=30, what="fire page to leader")
    wait_until(lambda: texts_for(f"{incident_id}/up1_open/guard-li"), timeout=30, what="fire page to guard")
    # The leader accepts from the phone; the guard checks in on site.
    assert httpx.post(_link(leader[0], "Accept"), timeout=10).status_code == 200
    assert httpx.post(_link(first[0], "I am on site"), timeout=10).status_code == 200
    incidents = _incidents(db)
    assert len(incidents) == 1, [i["id"] for i in incidents]
    inc = incidents[0]
    assert (inc["acked_by"], inc["onsite_by"]) == ("leader-wang", "guard-li")
    ack_s = (inc["acked_ms"] - inc["opened_ms"]) / 1000
    assert ack_s > 180  # the pre-fire's promise was broken (its escalation shows it); the fire's clock restarted
    assert inc["upgrades"] == 1 and inc["class_ms"] > inc["opened_ms"]

    # Each person got few alerts, not one per alarm.
    refs = [m.group(1) for t in receiver.texts() for m in [re.search(r"Ref: (\S+)", t)] if m]
    guard_refs = [r for r in refs if r.endswith("/guard-li")]
    assert len(guard_refs) == len(set(guard_refs)) and len(guard_refs) <= 3, guard_refs
    assert all(r.startswith(incident_id) for r in refs)

    # The report: the accept clock (from the upgrade) by leader-wang, the on-site clock by guard-li.
    cmd = [sys.executable, "-m", "shedwatch", "cloud", "alarm", "--data-dir", str(drill["data"]), *drill["clock"]]
    done = subprocess.run([*cmd, "report", "--days", "365000"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = {(r["by"], r["group"], r["clock"]): r for r in json.loads(done.stdout)}
    assert rows[("person", "leader-wang", "ack")]["incidents"] == 1
    assert rows[("person", "guard-li", "onsite")]["incidents"] == 1
    timeline = subprocess.run([*cmd, "timeline", incident_id], cwd=ROOT, capture_output=True, text=True, timeout=60)
    kinds = [e["kind"] for e in json.loads(timeline.stdout)]
    assert "interlock" in kinds and "first_signal" in kinds and "on_site" in kinds and "step_ack_overdue_1" in kinds
