"""Delivery at the edge, through real brokers and the agent as a process: only our own commands, a
taken-over session, batches within the broker's packet limit with the interlock first, device replays
dropped, readings kept across an agent restart, and every reject counted in the heartbeat."""

import time
from pathlib import Path

import pytest

from protocol.clock import SystemClock
from protocol.codec import encode
from protocol.commands import Command
from protocol.device import PostTelemetry
from protocol.topics import Kind, device_topic, shed_topic
from tests.integration.edge.harness import (
    AgentProcess,
    Devices,
    Recorder,
    RelayResponder,
    client,
    reading,
    write_config,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def _points(rec: Recorder) -> list[tuple[str, int | None, int]]:
    return [(p.device, p.socket, p.ts) for b in rec.of(Kind.EDGE_TELEMETRY) for p in b.points]


def _rejects(rec: Recorder) -> dict[tuple[str, str], int]:
    beats = rec.of(Kind.EDGE_HEARTBEAT)
    return {(r.reason, r.topic): r.count for r in beats[-1].rejects} if beats else {}


def test_copied_client_id_is_refused_at_start(mosquitto, tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=mosquitto.url,
        cloud_broker=mosquitto.url,
        data_dir=tmp_path / "data",
        agent_extra='client_id = "edge-shed-b"',
    )
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    assert agent.proc is not None and agent.proc.wait(20) == 2
    assert "client_id: 'edge-shed-b' does not name shed 'shed-a'" in agent.output()


def test_another_sheds_command_is_not_carried_out(mosquitto, tmp_path: Path) -> None:
    """The session under our id still holds shed-b's subscription (a copied config ran with it once)."""
    url = mosquitto.url
    stale = client(url, "edge-shed-a", clean=False)
    done = stale.subscribe("sw/v1/cloud/shed-b/command", qos=1)
    assert done[0] == 0
    time.sleep(0.2)
    stale.disconnect()
    stale.loop_stop()
    cfg = write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=tmp_path / "data")
    rec = Recorder(url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/+/dev/+/relay/set"])
    responder = RelayResponder(url)
    devices = Devices(url)
    cloud = client(url, "cloud")
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        devices.telemetry("post-1", [reading(1, 200.0)])
        rec.wait(lambda: rec.events("socket_status"), what="charging")
        now = SystemClock().now_ms()
        cmd = Command(
            src="cloud",
            seq=1,
            ts=now,
            request_id="foreign-1",
            expires_at=now + 60_000,
            actor="guard-7",
            action="stop_socket",
            device="post-1",
            socket=1,
        )
        cloud.publish(shed_topic(Kind.CLOUD_COMMAND, "shed-b"), encode(cmd.model_copy(update={"src": "cloud"})), qos=1)
        rec.wait(lambda: _rejects(rec).get(("foreign_shed", "cloud/command")) == 1, what="foreign_shed counted")
        assert not [c for c in rec.of(Kind.RELAY_SET) if c.reason == "operator_stop"], "another shed's stop obeyed"
        assert not rec.of(Kind.EDGE_RESULT)
        assert agent.terminate() == 0
    finally:
        agent.kill()
        for c in (rec, responder, devices):
            c.close()
        cloud.disconnect()
        cloud.loop_stop()


def test_taken_over_session_raises_a_trouble_alarm(mosquitto, tmp_path: Path) -> None:
    url = mosquitto.url
    cfg = write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=tmp_path / "data")
    rec = Recorder(url, ["sw/v1/edge/shed-a/#"])
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        # a second agent with a copied client id: it reconnects whenever it is kicked off, as paho does
        rogue = client(url, "edge-shed-a")
        raised = rec.wait(
            lambda: [e for e in rec.events("alarm_raised") if e.alarm_type == "session_taken_over"],
            timeout=30,
            what="session_taken_over alarm",
        )
        rogue.disconnect()
        rogue.loop_stop()
        assert raised[0].alarm_class == "trouble" and raised[0].alarm_id == "shed-a/session_taken_over"
        out = agent.output()
        assert "cloud session taken over by another client" in out and "reconnecting in 5 s" in out
        births = [s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"]
        assert len(births) <= 5, f"backed off instead of fighting for the session: {len(births)} births"
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()


def test_small_broker_packet_limit_never_blocks_the_off_gas_interlock(mosquitto_factory, tmp_path: Path) -> None:
    """The issue's case: max_packet_size 131072, 2 posts x 64 sockets every 0.2 s for 5 s, then off-gas."""
    shed = mosquitto_factory()
    cloud = mosquitto_factory(extra_config="max_packet_size 131072")
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=shed.url,
        cloud_broker=cloud.url,
        data_dir=tmp_path / "data",
        posts=2,
        sockets=64,
        batch_interval_s=5.0,
    )
    rec = Recorder(cloud.url, ["sw/v1/edge/shed-a/#"])
    devices = Devices(shed.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        start = SystemClock().now_ms()
        sent: set[tuple[str, int | None, int]] = set()
        for i in range(25):
            ts = start + i * 200
            for post in ("post-1", "post-2"):
                devices.telemetry(post, [reading(s, 0.0, relay=False, plugged=False) for s in range(1, 65)], ts=ts)
                sent |= {(post, None, ts)} | {(post, s, ts) for s in range(1, 65)}
        devices.environment("env-1", h2_ppm=250.0)
        rec.wait(
            lambda: [e for e in rec.events("interlock") if e.reason == "off_gas"], timeout=15, what="off-gas interlock"
        )
        got = rec.wait(lambda: p if set(p := _points(rec)) >= sent else None, timeout=20, what="every reading")
        assert len(got) == len(set(got)), "no reading twice"
        assert all(len(payload) <= 131_072 for _t, payload in rec.raw)
        seqs = sorted(b.seq for b in rec.of(Kind.EDGE_TELEMETRY))
        assert len(seqs) > 1, "the 5 s batch was split to fit the packet limit"
        assert "packet too large" not in agent.output().lower()
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()


def test_device_replay_is_forwarded_once_and_counted(mosquitto, tmp_path: Path) -> None:
    url = mosquitto.url
    cfg = write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=tmp_path / "data")
    rec = Recorder(url, ["sw/v1/edge/shed-a/#"])
    devices = Devices(url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        now = SystemClock().now_ms()
        msg = PostTelemetry(src="post-1", seq=41, ts=now, total_power_w=0.0, sockets=[reading(1, 0.0, relay=False)])
        for _ in range(2):
            devices.client.publish(
                device_topic(Kind.POST_TELEMETRY, "shed-a", "post-1"), encode(msg), qos=1
            ).wait_for_publish(5)
        devices.environment("env-1")
        devices.environment("env-1")  # two distinct readings: both taken
        rec.wait(lambda: _rejects(rec).get(("replay", "telemetry")) == 1, what="replay counted")
        # the readings published after the copy are in: the copy, had it been forwarded, would be too
        rec.wait(lambda: len([x for x in _points(rec) if x[0] == "env-1"]) == 2, what="the later readings")
        points = _points(rec)
        assert points.count(("post-1", 1, now)) == 1
        assert len([p for p in points if p[0] == "env-1"]) == 2
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()


def test_readings_published_while_the_agent_restarts_reach_the_cloud(mosquitto_factory, tmp_path: Path) -> None:
    shed = mosquitto_factory()
    cloud = mosquitto_factory()
    cfg = write_config(tmp_path / "shed.toml", shed_broker=shed.url, cloud_broker=cloud.url, data_dir=tmp_path / "data")
    rec = Recorder(cloud.url, ["sw/v1/edge/shed-a/#"])
    devices = Devices(shed.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        devices.environment("env-1", temp_c=0.0)
        rec.wait(lambda: _points(rec), what="first reading")
        agent.kill()
        for i in range(1, 31):  # the agent is down: the shed broker keeps these for its session
            devices.environment("env-1", temp_c=float(i))
        agent = AgentProcess(cfg, tmp_path / "agent.log").start()
        devices.environment("env-1", temp_c=31.0)

        def temps() -> list[float]:
            batches = rec.of(Kind.EDGE_TELEMETRY)
            return [p.fields["temp_c"] for b in batches for p in b.points if p.device == "env-1"]

        got = rec.wait(lambda: t if len(t := temps()) >= 32 else None, timeout=20, what="every reading")
        assert sorted(got) == [float(i) for i in range(32)], "every reading once"
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()


def test_an_outage_logs_one_line_not_an_error_per_retry(mosquitto_factory, tmp_path: Path) -> None:
    shed = mosquitto_factory()
    cloud = mosquitto_factory()
    cloud.stop()  # down from the start
    cfg = write_config(tmp_path / "shed.toml", shed_broker=shed.url, cloud_broker=cloud.url, data_dir=tmp_path / "d")
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        time.sleep(7)  # reconnect_max_s = 2: several attempts
        cloud.start()
        wait_until(lambda: "cloud uplink connected" in agent.output(), timeout=20, what="uplink connected")
        out = agent.output()
        errors = [line for line in out.splitlines() if "shedwatch.edge.paho" in line and " ERROR " in line]
        assert len(errors) <= 1, errors
        assert "reconnect error(s) not logged" in out
        assert agent.terminate() == 0
    finally:
        agent.kill()
