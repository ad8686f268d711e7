"""Drill: the edge's data directory is lost, and the cloud must still show the running edge as it is.

Real processes and brokers: the cloud (ingest and API) on a persistent cloud broker, the edge agent.
The edge runs, stops cleanly (its retained death carries its last session), its data directory is
wiped, and it starts again with a new store, whose session counter would start at 1 again. The cloud
judges births, deaths and heartbeats by session, so the new edge must speak above the session it
already heard: the API then says the edge is online, with the socket states of the new birth.
"""

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from protocol.config import PostSpec, ShedConfig
from protocol.topics import Kind, shed_topic
from shedwatch.demo import ingest_ready
from shedwatch.demo_config import shed_toml
from shedwatch.mosquitto import Mosquitto
from shedwatch.ports import free_port
from shedwatch.processes import Child
from tests.integration.edge.harness import client
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHED = "shed-wipe"


def _shed(url: str) -> dict[str, Any] | None:
    try:
        sheds = httpx.get(f"{url}/api/v1/availability", timeout=2).json()["sheds"]
    except (httpx.HTTPError, ValueError, KeyError):
        return None
    return next((s for s in sheds if s["shed"] == SHED), None)


def _ready(url: str) -> bool:
    try:
        return ingest_ready(httpx.get(f"{url}/healthz", timeout=2).json())
    except (httpx.HTTPError, ValueError):
        return False


def _retained_state(broker: str) -> dict[str, Any]:
    """The edge's retained birth or death on the cloud broker."""
    got: list[dict[str, Any]] = []
    sub = client(broker, "state-reader")
    sub.on_message = lambda _c, _u, msg: got.append(json.loads(msg.payload))
    sub.subscribe(shed_topic(Kind.EDGE_STATE, SHED), qos=1)
    try:
        wait_until(lambda: got, timeout=10, what="retained edge state")
    finally:
        sub.loop_stop()
        sub.disconnect()
    return got[-1]


def test_edge_with_a_wiped_data_dir_is_online_with_its_birth(
    tmp_path: Path, mosquitto_factory: Callable[..., Mosquitto]
) -> None:
    shed_broker = mosquitto_factory()
    cloud_broker = mosquitto_factory(persistence=True)
    data_dir = tmp_path / "edge"
    toml = tmp_path / "shed.toml"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    children: list[Child] = []

    def edge(name: str, posts: list[PostSpec]) -> Child:
        shed = ShedConfig(shed=SHED, posts=posts)
        toml.write_text(shed_toml(shed, shed_broker=shed_broker.url, cloud_broker=cloud_broker.url, data_dir=data_dir))
        child = Child.shedwatch(name, ["edge", "--config", str(toml)], log_dir=logs, cwd=ROOT)
        children.append(child)
        return child

    cloud = Child.shedwatch(
        "cloud",
        ["cloud", "--broker", cloud_broker.url, "--port", str(port), "--data-dir", str(tmp_path / "cloud")],
        log_dir=logs,
        cwd=ROOT,
    )
    children.append(cloud)
    try:
        wait_until(lambda: _ready(url), timeout=60, what="cloud ingest subscribed")
        # 1. the edge runs (6 sockets), is seen online, and stops cleanly: its retained death has session N
        first = edge("edge-1", [PostSpec(id="post-1", sockets=6)])
        wait_until(lambda: (s := _shed(url)) and s["edge_online"] and s["total"] == 6, timeout=60, what="online")
        first.stop()
        wait_until(lambda: (s := _shed(url)) and not s["edge_online"], timeout=30, what="offline after stop")
        death = _retained_state(cloud_broker.url)
        assert death["state"] == "death"

        # 2. its data directory is lost; it starts again (now with 12 sockets) from a new store
        shutil.rmtree(data_dir)
        second = edge("edge-2", [PostSpec(id="post-1", sockets=6), PostSpec(id="post-2", sockets=6)])
        wait_until(
            lambda: (s := _shed(url)) and s["edge_online"] and s["total"] == 12,
            timeout=60,
            what="the edge with a new store online, with its birth's 12 sockets",
        )
        birth = _retained_state(cloud_broker.url)
        assert birth["state"] == "birth"
        assert birth["session"] > death["session"]
        shed = _shed(url)
        assert shed is not None
        counts = {k: shed[k] for k in ("free", "charging", "plugged", "full", "faulted")}
        statuses = [s["status"] for s in birth["sockets"]]
        assert counts == {k: statuses.count(k) for k in counts}, (counts, statuses)
        assert "sessions continue from" in second.log_tail(20_000)
        assert second.exit_code is None
    finally:
        codes = {c.name: c.stop() for c in reversed(children)}
        for child in children:
            sys.stderr.write(f"--- {child.name} log tail ---\n{child.log_tail(2000)}\n")
    assert codes == {"cloud": 0, "edge-1": 0, "edge-2": 0}, codes
