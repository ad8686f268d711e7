"""The post twin on a real mosquitto obeys relay commands and answers each with a result."""

import time
from pathlib import Path

import pytest

from protocol.codec import encode
from protocol.device import PostTelemetry, RelayCommand, RelayResult
from protocol.topics import Kind, device_filter, device_topic
from shedwatch.mosquitto import Mosquitto
from simulators.truth import read_truth
from tests.integration.sim.helpers import Collector, start_sim, stop_sim

pytestmark = pytest.mark.integration

SCENARIO = """
name = "relay test"
seed = 1
speed = 20
residents = false

[[sheds]]
shed = "shed-i"
extinguishers = ["ext-1"]
sensors = ["env-1"]
[[sheds.posts]]
id = "post-1"
sockets = 4

[[bikes]]
at_s = 0
device = "post-1"
socket = 2
soc = 0.3
charger_w = 300
"""


def _cmd(socket: int, on: bool, reason: str, request_id: str) -> bytes:
    now = int(time.time() * 1000)
    return encode(RelayCommand(src="shed-i", seq=0, ts=now, request_id=request_id, socket=socket, on=on, reason=reason))


def test_relay_off_stops_current_and_is_answered(mosquitto: Mosquitto, tmp_path: Path) -> None:
    scenario = tmp_path / "relay.toml"
    scenario.write_text(SCENARIO)
    truth = tmp_path / "truth.jsonl"
    col = Collector(mosquitto.port, device_filter("shed-i"))
    proc = start_sim("run", str(scenario), "--broker", mosquitto.url, "--truth", str(truth))
    try:

        def charging(_t: str, m: object) -> bool:
            return isinstance(m, PostTelemetry) and m.sockets[1].power_w > 100

        col.wait_for(charging)
        col.publish(device_topic(Kind.RELAY_SET, "shed-i", "post-1"), _cmd(2, False, "over_temperature", "req-off"))
        _, result = col.wait_for(lambda _t, m: isinstance(m, RelayResult) and m.request_id == "req-off")
        assert result.ok and result.relay is False and result.socket == 2 and result.src == "post-1"

        def after_cut(_t: str, m: object) -> bool:
            return isinstance(m, PostTelemetry) and m.ts >= result.ts and m.seq > result.seq

        _, tel = col.wait_for(after_cut)
        assert tel.sockets[1].relay is False and tel.sockets[1].power_w == 0 and tel.sockets[1].current_a == 0

        # A command for a socket the post lacks gets a failed result, not silence.
        col.publish(device_topic(Kind.RELAY_SET, "shed-i", "post-1"), _cmd(9, True, "start", "req-bad"))
        _, bad = col.wait_for(lambda _t, m: isinstance(m, RelayResult) and m.request_id == "req-bad")
        assert not bad.ok and bad.error
    finally:
        code, err = stop_sim(proc)
        col.close()
    assert code == 0, err
    assert not col.errors
    records = read_truth(truth)
    kinds = [r["record"] for r in records]
    assert "relay_command" in kinds and "relay_result" in kinds
    res = next(r for r in records if r["record"] == "relay_result" and r["request_id"] == "req-off")
    assert res["ok"] and res["relay"] is False
    final = [r for r in records if r["record"] == "sockets"][-1]
    sock2 = next(s for s in final["sockets"] if s["socket"] == 2)
    assert sock2["truth"] == "faulted" and sock2["plugged"] and not sock2["relay"]
    # Every published message is in the truth, with contiguous per-device sequence numbers.
    msgs = [r for r in records if r["record"] == "message" and r["src"] == "post-1"]
    assert [m["seq"] for m in msgs] == list(range(len(msgs)))


def test_sim_shed_runs_the_shed_toml_and_answers(mosquitto: Mosquitto, tmp_path: Path) -> None:
    cfg = tmp_path / "shed.toml"
    cfg.write_text(
        '[agent]\nshed_broker = "mqtt://x"\n[shed]\nshed = "shed-i"\nsensors = ["env-1"]\n'
        '[[shed.posts]]\nid = "post-1"\nsockets = 2\n[[shed.posts]]\nid = "post-2"\n'
    )
    col = Collector(mosquitto.port, device_filter("shed-i"))
    proc = start_sim("shed", "--config", str(cfg), "--broker", mosquitto.url, "--no-residents", "--seed", "3")
    try:
        col.wait_for(lambda t, _m: t.endswith("/post-2/heartbeat"))
        col.publish(device_topic(Kind.RELAY_SET, "shed-i", "post-2"), _cmd(10, True, "start", "req-on"))
        _, res = col.wait_for(lambda _t, m: isinstance(m, RelayResult) and m.request_id == "req-on")
        assert res.ok and res.relay is True and res.src == "post-2"
    finally:
        code, err = stop_sim(proc)
        col.close()
    assert code == 0, err
