"""Relay commands and keep-alives of an edge whose wall clock is wrong never repeat across restarts."""

from pathlib import Path
from typing import Any

import pytest

from protocol.topics import Kind
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, reading, write_config

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("epoch_ms", [-86_400_000, 2**53 - 1], ids=["1969", "past-max"])
def test_a_restart_under_a_clamped_clock_sends_new_request_ids_and_higher_seqs(
    mosquitto, tmp_path: Path, epoch_ms: int
) -> None:
    """The issue's case: both runs sent relay/set {"seq":2,"ts":0,"request_id":"r0-1"}."""
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=mosquitto.url,
        cloud_broker=mosquitto.url,
        data_dir=tmp_path / "data",
        thresholds="keepalive_s = 0.2",
    )
    rec = Recorder(mosquitto.url, ["sw/v1/shed/shed-a/dev/+/relay/set", "sw/v1/shed/shed-a/dev/+/keepalive"])
    devices = Devices(mosquitto.url)
    runs: list[tuple[list[Any], list[Any]]] = []
    agent = AgentProcess(cfg, tmp_path / "agent.log", clock=f"1,{epoch_ms},NOW")
    try:
        for _run in range(2):
            with rec.lock:
                rec.messages.clear()
            agent.start()
            rec.wait(lambda: rec.of(Kind.KEEPALIVE), what="a keep-alive")
            # no responder: the off is never confirmed, the socket trips (and after the restart is cut again)
            devices.telemetry("post-1", [reading(1, 200.0), reading(2, 1500.0)])
            rec.wait(lambda: [c for c in rec.of(Kind.RELAY_SET) if c.socket == 2], what="relay off")
            runs.append((rec.of(Kind.RELAY_SET), rec.of(Kind.KEEPALIVE)))
            agent.kill()  # SIGKILL: nothing is said at exit
        (relays_1, keep_1), (relays_2, keep_2) = runs
        assert {c.ts for c in relays_1 + relays_2} == {max(0, min(2**53 - 1, epoch_ms))}, "the stamps do repeat"
        assert not {c.request_id for c in relays_1} & {c.request_id for c in relays_2}
        # every device-facing seq of the second start is above every one of the first
        assert max(m.seq for m in relays_1 + keep_1) < min(m.seq for m in relays_2 + keep_2)
    finally:
        agent.kill()
        rec.close()
        devices.close()
    assert "Traceback" not in agent.output()
