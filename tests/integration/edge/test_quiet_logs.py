"""The log says what matters: legal acts and expected outages are no ERROR (an ERROR calls someone out)."""

import time
from pathlib import Path

import pytest

from protocol.topics import Kind
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, reading, write_config

pytestmark = pytest.mark.integration


def _errors(log: str) -> list[str]:
    """ERROR lines, tracebacks, and a clean stop told as a lost connection."""
    return [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line or " lost: " in line]


def test_an_unreachable_cloud_at_start_and_a_clean_stop_log_no_error(mosquitto_factory, tmp_path: Path) -> None:
    """The cloud broker is down from the start: the edge supervises, warns once, stops cleanly, logs no ERROR."""
    mosquitto = mosquitto_factory()
    gone = mosquitto_factory()
    gone.stop()
    cloud_url = gone.url  # nothing listens there any more
    cfg = write_config(tmp_path / "shed.toml", shed_broker=mosquitto.url, cloud_broker=cloud_url, data_dir=tmp_path)
    rec = Recorder(mosquitto.url, ["sw/v1/shed/shed-a/dev/+/relay/set"])
    devices = Devices(mosquitto.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        # said again each second until the agent (no cloud to announce itself on) has subscribed and cuts
        sent = [0.0]

        def cut() -> list[object]:
            if time.monotonic() - sent[0] >= 1.0:
                sent[0] = time.monotonic()
                devices.telemetry("post-1", [reading(1, 1500.0)])
            return rec.of(Kind.RELAY_SET)

        rec.wait(cut, what="over-power cut without a cloud")
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()
    assert _errors(agent.output()) == []
