"""Milestone: telemetry in at the shed broker -> status events, relay-off command and batches out."""

from pathlib import Path

import pytest

from protocol.topics import Kind
from protocol.uplink import SocketStatus
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, RelayResponder, reading, write_config

pytestmark = pytest.mark.integration


def test_over_power_cut_and_status_events(mosquitto, tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "shed.toml", shed_broker=mosquitto.url, cloud_broker=mosquitto.url, data_dir=tmp_path / "data"
    )
    rec = Recorder(mosquitto.url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    responder = RelayResponder(mosquitto.url)
    devices = Devices(mosquitto.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        birth = rec.wait(lambda: [s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"], what="birth")[0]
        assert {s.status for s in birth.sockets} == {SocketStatus.FREE}
        assert len(birth.sockets) == 4
        devices.telemetry("post-1", [reading(1, 200.0), reading(2, 1500.0), reading(3, relay=False)])

        cut = rec.wait(lambda: [c for c in rec.of(Kind.RELAY_SET) if c.socket == 2], what="relay off")[0]
        assert cut.on is False and cut.reason == "over_power"
        statuses = rec.wait(lambda: len(rec.events("socket_status")) >= 3 and rec.events("socket_status"))
        by_socket = {e.socket: e.status for e in statuses}
        assert by_socket == {1: SocketStatus.CHARGING, 2: SocketStatus.FAULTED, 3: SocketStatus.PLUGGED}
        interlock = rec.wait(lambda: rec.events("interlock"), what="interlock")[0]
        assert (interlock.action, interlock.scope, interlock.reason, interlock.latched) == (
            "cut",
            "socket",
            "over_power",
            True,
        )
        alarm = rec.wait(lambda: rec.events("alarm_raised"), what="alarm")[0]
        assert alarm.alarm_type == "over_power" and alarm.value == 1500.0
        batch = rec.wait(lambda: rec.of(Kind.EDGE_TELEMETRY), what="telemetry batch")[0]
        assert {p.socket for p in batch.points if p.socket} == {1, 2, 3}
        rec.wait(lambda: rec.of(Kind.EDGE_HEARTBEAT), what="heartbeat")
        assert responder.commands and responder.commands[0].on is False
        assert agent.terminate() == 0
        rec.wait(lambda: [s for s in rec.of(Kind.EDGE_STATE) if s.state == "death"], what="death")
    finally:
        agent.kill()
        for c in (rec, responder, devices):
            c.close()
    stream = rec.of(Kind.EDGE_EVENT) + rec.of(Kind.EDGE_TELEMETRY) + rec.of(Kind.EDGE_RESULT)
    seqs = sorted(m.seq for m in stream)
    assert seqs == list(range(1, len(seqs) + 1)), "one contiguous per-shed seq"
    assert not rec.errors
