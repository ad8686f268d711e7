"""Milestone: telemetry in at the shed broker -> status events, relay-off command and batches out."""

import sqlite3
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
        # bad input is refused and counted, and changes nothing
        devices.client.publish("sw/v1/shed/shed-a/dev/post-1/telemetry", b"{not json", qos=1).wait_for_publish(5)
        devices.telemetry("post-9", [reading(1, 1500.0)])  # not in this shed's config
        devices.client.publish(  # src does not match the topic
            "sw/v1/shed/shed-a/dev/post-2/telemetry", b'{"v":1,"src":"post-1","seq":1,"ts":1767225600000}', qos=1
        ).wait_for_publish(5)
        devices.telemetry("post-1", [reading(1, 200.0), reading(2, 1500.0), reading(3, relay=False)])

        cut = rec.wait(lambda: [c for c in rec.of(Kind.RELAY_SET) if c.socket == 2], what="relay off")[0]
        assert cut.on is False and cut.reason == "over_power"
        statuses = rec.wait(lambda: len(rec.events("socket_status")) >= 3 and rec.events("socket_status"))
        by_socket = {e.socket: e.status for e in statuses}
        assert by_socket == {1: SocketStatus.CHARGING, 2: SocketStatus.FAULTED, 3: SocketStatus.PLUGGED}
        # post-9 is not configured: its closed relay is commanded off too (an "unconfigured" cut), so pick post-1's
        interlock = rec.wait(lambda: [e for e in rec.events("interlock") if e.device == "post-1"], what="interlock")[0]
        assert (interlock.action, interlock.scope, interlock.reason, interlock.latched) == (
            "cut",
            "socket",
            "over_power",
            True,
        )
        alarm = rec.wait(lambda: [e for e in rec.events("alarm_raised") if e.device == "post-1"], what="alarm")[0]
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
    log = agent.output()
    assert "malformed_json" in log and "unknown_device" in log and "Traceback" not in log


def test_a_latch_survives_sigkill(mosquitto, tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "shed.toml", shed_broker=mosquitto.url, cloud_broker=mosquitto.url, data_dir=tmp_path / "data"
    )
    rec = Recorder(mosquitto.url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    devices = Devices(mosquitto.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        devices.telemetry("post-1", [reading(2, 300.0, temp_c=70.0)])
        rec.wait(lambda: rec.events("interlock"), what="over-temperature trip")
        rec.wait(lambda: _latches(tmp_path / "data"), what="the latch on disk")
        agent.kill()
        agent = AgentProcess(cfg, tmp_path / "agent2.log").start()
        births = rec.wait(lambda: [s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"][1:], what="rebirth")
        status = {(s.device, s.socket): s.status for s in births[0].sockets}
        assert status[("post-1", 2)] == SocketStatus.FAULTED
        before = len(rec.of(Kind.RELAY_SET))
        devices.telemetry("post-1", [reading(2, 300.0, temp_c=30.0)])  # the post switched it back on
        again = rec.wait(lambda: rec.of(Kind.RELAY_SET)[before:], what="cut again after the restart")[0]
        assert (again.socket, again.on, again.reason) == (2, False, "socket_overtemp")
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()


def test_an_open_sheds_session_survives_sigkill_with_its_start(mosquitto, tmp_path: Path) -> None:
    """The session goes on under its first id (its start, hence its limits, carried), not a new one from the restart."""
    cfg = write_config(
        tmp_path / "shed.toml", shed_broker=mosquitto.url, cloud_broker=mosquitto.url, data_dir=tmp_path / "data"
    )
    rec = Recorder(mosquitto.url, ["sw/v1/edge/shed-a/#"])
    devices = Devices(mosquitto.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()

    def sessions(start: int = 0) -> list[str]:
        return [e.session_id for e in rec.events("socket_status")[start:] if e.socket == 1 and e.session_id]

    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        devices.telemetry("post-1", [reading(1, 200.0)])
        first = rec.wait(sessions, what="a session")[0]
        rec.wait(lambda: _latches(tmp_path / "data"), what="the session on disk")
        agent.kill()
        seen = len(rec.events("socket_status"))
        agent = AgentProcess(cfg, tmp_path / "agent2.log").start()
        rec.wait(lambda: [s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"][1:], what="rebirth")
        devices.telemetry("post-1", [reading(1, 200.0)])
        # every status after the restart names the first session (one or more: plugged, then charging)
        assert set(rec.wait(lambda: sessions(seen), what="the session after the restart")) == {first}
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()


def _latches(data: Path) -> int:
    db = sqlite3.connect(f"file:{data / 'outbox.sqlite'}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT COUNT(*) FROM latches").fetchone()[0])
    finally:
        db.close()
