"""End to end through real processes and two real mosquitto brokers:

simulated posts -> shed broker -> edge agent -> cloud broker -> cloud ingest -> API,
and the availability the API reports must match the simulator's ground truth.
"""

import sys
from collections import Counter
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
from simulators.truth import last_snapshot
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
STATUSES = ("free", "charging", "plugged", "full", "faulted")

SCENARIO = """
name = "e2e-availability"
seed = 3
residents = false

[[sheds]]
path = "shed.toml"

# two bikes charging, one already full, one illegal high-power charger (the edge must cut it)
[[bikes]]
at_s = 0
device = "post-1"
socket = 1
chemistry = "lithium"
voltage = 48
capacity_ah = 20
soc = 0.3
charger_w = 250

[[bikes]]
at_s = 0
device = "post-1"
socket = 2
chemistry = "lead_acid"
voltage = 48
capacity_ah = 20
soc = 0.4
charger_w = 180

[[bikes]]
at_s = 0
device = "post-1"
socket = 3
chemistry = "lithium"
voltage = 60
capacity_ah = 12
soc = 1.0
charger_w = 200

[[bikes]]
at_s = 0
device = "post-2"
socket = 4
chemistry = "lithium"
voltage = 60
capacity_ah = 30
soc = 0.2
charger_w = 1500
"""


@pytest.fixture
def system(tmp_path: Path, mosquitto_factory: Callable[..., Mosquitto]) -> Iterator[dict[str, Any]]:
    shed_broker = mosquitto_factory()
    cloud_broker = mosquitto_factory(persistence=True)
    shed = ShedConfig(shed="shed-e2e", posts=[PostSpec(id="post-1", sockets=6), PostSpec(id="post-2", sockets=6)])
    (tmp_path / "shed.toml").write_text(
        shed_toml(shed, shed_broker=shed_broker.url, cloud_broker=cloud_broker.url, data_dir=tmp_path / "edge")
    )
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    clock = ["--clock", ScaledClock(speed=60).spec()]  # 5 simulated minutes (the 'full' rule) in 5 s
    port = free_port()
    logs = tmp_path / "logs"
    truth = tmp_path / "truth.jsonl"
    cloud = Child.shedwatch(
        "cloud",
        ["cloud", "--broker", cloud_broker.url, "--port", str(port), "--data-dir", str(tmp_path / "cloud"), *clock],
        log_dir=logs,
        cwd=ROOT,
    )
    # As in a real deployment, the cloud's ingest session exists before the edge speaks.
    wait_until(lambda: _health(f"http://127.0.0.1:{port}"), timeout=60, what="cloud ingest subscribed")
    children = [
        cloud,
        Child.shedwatch("edge", ["edge", "--config", str(tmp_path / "shed.toml"), *clock], log_dir=logs, cwd=ROOT),
        Child.shedwatch(
            "sim",
            ["sim", "run", str(tmp_path / "scenario.toml"), "--broker", shed_broker.url, "--truth", str(truth), *clock],
            log_dir=logs,
            cwd=ROOT,
        ),
    ]
    yield {"url": f"http://127.0.0.1:{port}", "truth": truth, "children": children}
    codes = {c.name: c.stop() for c in reversed(children)}
    for child in children:
        sys.stderr.write(f"--- {child.name} log tail ---\n{child.log_tail(1500)}\n")
    assert codes == {"cloud": 0, "edge": 0, "sim": 0}, codes


def _health(url: str) -> bool:
    try:
        return ingest_ready(httpx.get(f"{url}/healthz", timeout=2).json())
    except (httpx.HTTPError, ValueError):
        return False


def _api_counts(url: str) -> dict[str, int] | None:
    try:
        sheds = httpx.get(f"{url}/api/v1/availability", timeout=2).json()["sheds"]
    except (httpx.HTTPError, ValueError, KeyError):
        return None
    shed = next((s for s in sheds if s["shed"] == "shed-e2e"), None)
    return {k: shed[k] for k in (*STATUSES, "total")} if shed else None


def _edge_online(url: str) -> bool:
    sheds = httpx.get(f"{url}/api/v1/availability", timeout=2).json()["sheds"]
    return bool(next(s for s in sheds if s["shed"] == "shed-e2e")["edge_online"])


def _truth_counts(truth: Path) -> dict[str, int] | None:
    snap = last_snapshot(truth)
    if snap is None:
        return None
    counts = Counter(s["truth"] for s in snap["sockets"] if s["shed"] == "shed-e2e")
    return {k: counts.get(k, 0) for k in STATUSES} | {"total": sum(counts.values())}


def test_api_availability_matches_simulator_truth(system: dict[str, Any]) -> None:
    url, truth, children = system["url"], system["truth"], system["children"]
    # the bike plugged in already full never drew charging power: `plugged` (not_charging), as the truth says
    expected = {"free": 8, "charging": 2, "plugged": 1, "full": 0, "faulted": 1, "total": 12}

    def settled() -> dict[str, int] | None:
        for child in children:
            assert child.exit_code is None, f"{child.name} died:\n{child.log_tail()}"
        api, real = _api_counts(url), _truth_counts(truth)
        return api if api is not None and api == real == expected else None

    try:
        wait_until(settled, timeout=90, interval=0.5, what="API availability == simulator truth")
    except AssertionError:
        pytest.fail(f"API {_api_counts(url)} vs truth {_truth_counts(truth)} vs expected {expected}")

    # And the per-socket view agrees, not only the counts.
    snap = last_snapshot(truth)
    assert snap is not None
    by_socket = {(s["device"], s["socket"]): s["truth"] for s in snap["sockets"]}
    assert by_socket[("post-1", 3)] == "plugged"
    assert by_socket[("post-2", 4)] == "faulted"

    # The edge stops: its death reaches the API, which says the counts are no longer live.
    assert _edge_online(url) is True
    edge = next(c for c in children if c.name == "edge")
    assert edge.stop() == 0

    wait_until(lambda: _edge_online(url) is False, timeout=30, what="edge_online false after the edge stopped")
