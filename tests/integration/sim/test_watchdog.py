"""The simulated post on a real mosquitto: keep-alives hold its relays closed; when they stop, it opens them."""

import time
from pathlib import Path

import pytest

from protocol.codec import encode
from protocol.device import EdgeKeepAlive, PostTelemetry
from protocol.topics import Kind, device_filter, device_topic
from shedwatch.mosquitto import Mosquitto
from simulators.truth import read_truth
from tests.integration.sim.helpers import Collector, start_sim, stop_sim

pytestmark = pytest.mark.integration

SCENARIO = """
name = "watchdog test"
seed = 1
speed = 1
residents = false

[[sheds]]
shed = "shed-w"
extinguishers = ["ext-1"]
sensors = ["env-1"]
[[sheds.posts]]
id = "post-1"
sockets = 2

[[bikes]]
at_s = 0
device = "post-1"
socket = 1
soc = 0.3
charger_w = 300
"""


def test_the_post_opens_its_relays_when_the_edge_falls_silent(mosquitto: Mosquitto, tmp_path: Path) -> None:
    scenario = tmp_path / "watchdog.toml"
    scenario.write_text(SCENARIO)
    truth = tmp_path / "truth.jsonl"
    col = Collector(mosquitto.port, device_filter("shed-w"))
    proc = start_sim("run", str(scenario), "--broker", mosquitto.url, "--truth", str(truth))
    topic = device_topic(Kind.KEEPALIVE, "shed-w", "post-1")
    try:
        col.wait_for(lambda _t, m: isinstance(m, PostTelemetry) and m.sockets[0].relay)
        for n in range(10):  # 2 s of keep-alives every 0.2 s: the watchdog (3 x 0.2 s) never runs out
            col.publish(topic, encode(EdgeKeepAlive(src="shed-w", seq=n, ts=int(time.time() * 1000), interval_s=0.2)))
            time.sleep(0.2)
        silent_at = time.time()
        # the edge dies: within 3 intervals the post opens the relay and reports it at once
        _, tel = col.wait_for(lambda _t, m: isinstance(m, PostTelemetry) and not m.sockets[0].relay, timeout=5)
        assert tel.sockets[0].power_w == 0
    finally:
        code, err = stop_sim(proc)
        col.close()
    assert code == 0, err
    records = [r for r in read_truth(truth) if r["record"] == "watchdog"]
    assert len(records) == 1 and records[0]["device"] == "post-1" and records[0]["sockets"] == [1]
    assert records[0]["ts"] / 1000 - silent_at < 1.5  # about 3 x 0.2 s after the last keep-alive
