"""The agent on the embedded amqtt broker (MQTT 3.1.1 only), as the demo runs it without mosquitto."""

import subprocess
import sys
from pathlib import Path

import pytest

from protocol.topics import Kind
from shedwatch.ports import free_port, wait_listening
from tests.integration.edge.harness import REPO, AgentProcess, Devices, Recorder, reading, write_config

pytestmark = pytest.mark.integration


def test_over_power_cut_on_an_mqtt311_broker(tmp_path: Path) -> None:
    port = free_port()
    broker = subprocess.Popen(
        [sys.executable, "-m", "shedwatch.embedded_broker", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening("127.0.0.1", port, 15)
        url = f"mqtt://127.0.0.1:{port}?protocol=311"
        cfg = write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=tmp_path / "data")
        rec = Recorder(url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
        devices = Devices(url)
        agent = AgentProcess(cfg, tmp_path / "agent.log").start()
        try:
            rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
            devices.telemetry("post-1", [reading(1, 200.0), reading(2, 1500.0)])
            cut = rec.wait(lambda: rec.of(Kind.RELAY_SET), what="relay off")[0]
            assert (cut.socket, cut.on, cut.reason) == (2, False, "over_power")
            rec.wait(lambda: len(rec.events("socket_status")) >= 2, what="status events")
            assert agent.terminate() == 0
        finally:
            agent.kill()
            rec.close()
            devices.close()
    finally:
        broker.terminate()
        broker.wait(10)
