"""Field faults at process level: an edge whose clock reads 1970 still supervises; keep-alives reach the posts."""

import time
from pathlib import Path

import pytest

from protocol.topics import Kind
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, RelayResponder, reading, write_config

pytestmark = pytest.mark.integration

DAY_ONE_1970 = 86_400_000  # 1970-01-02T00:00Z: a Raspberry Pi without a real-time clock before NTP


@pytest.mark.parametrize("epoch_ms", [DAY_ONE_1970, -DAY_ONE_1970, 2**53 - 1], ids=["1970", "1969", "past-max"])
def test_an_edge_whose_clock_reads_1970_stays_up_and_cuts_over_power(mosquitto, tmp_path: Path, epoch_ms: int) -> None:
    """Any wall clock, even one before 1970 or past the contract's end: stamps are clamped into 0 .. 2**53 - 1."""
    cfg = write_config(
        tmp_path / "shed.toml", shed_broker=mosquitto.url, cloud_broker=mosquitto.url, data_dir=tmp_path / "data"
    )
    rec = Recorder(mosquitto.url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    responder = RelayResponder(mosquitto.url)
    devices = Devices(mosquitto.url)
    # the issue's own command line: a clock that reads 1970-01-02 from the moment the agent starts
    agent = AgentProcess(cfg, tmp_path / "agent.log", clock=f"1,{epoch_ms},NOW").start()
    try:
        birth = rec.wait(lambda: [s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"], what="birth")[0]
        stamp = max(0, min(2**53 - 1, epoch_ms))
        assert stamp <= birth.ts < stamp + 60_000
        # the post's own clock is right; the edge's is not: still judged and cut at once
        devices.telemetry("post-1", [reading(1, 200.0), reading(2, 1500.0)])
        cut = rec.wait(lambda: [c for c in rec.of(Kind.RELAY_SET) if c.socket == 2], what="relay off")[0]
        assert cut.on is False and cut.reason == "over_power"
        assert not [c for c in rec.of(Kind.RELAY_SET) if c.socket == 1]
        interlock = rec.wait(lambda: rec.events("interlock"), what="interlock")[0]
        assert interlock.reason == "over_power" and interlock.clock_suspect is True
        clock = rec.wait(
            lambda: [e for e in rec.events("alarm_raised") if e.alarm_type == "clock" and e.device is None],
            what="edge clock trouble alarm",
        )[0]
        assert clock.alarm_class == "trouble" and clock.clock_suspect is True
        # the alarm names what the clock really read, not the clamped stamp the messages carry
        assert clock.value is not None and epoch_ms <= clock.value < epoch_ms + 120_000
        assert agent.proc is not None and agent.proc.poll() is None, "the agent must stay up"
        assert agent.terminate() == 0
    finally:
        agent.kill()
        for c in (rec, responder, devices):
            c.close()
    assert "Traceback" not in agent.output()


def test_keepalives_reach_every_post_and_stop_when_the_edge_dies(mosquitto, tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=mosquitto.url,
        cloud_broker=mosquitto.url,
        data_dir=tmp_path / "data",
        posts=2,
        thresholds="keepalive_s = 0.2",
    )
    rec = Recorder(mosquitto.url, ["sw/v1/shed/shed-a/dev/+/keepalive"])
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: {k.src for k in rec.of(Kind.KEEPALIVE)} and len(rec.of(Kind.KEEPALIVE)) >= 10, what="10")
        with rec.lock:
            posts = {t.split("/")[5] for t, _m in rec.messages}
        assert posts == {"post-1", "post-2"}
        # sent every 0.2 s; the promise to the posts is never under one real second (busy machines)
        assert {k.interval_s for k in rec.of(Kind.KEEPALIVE)} == {1.0}
        agent.kill()  # the Pi dies
        time.sleep(0.3)
        n = len(rec.of(Kind.KEEPALIVE))
        time.sleep(1.0)
        assert len(rec.of(Kind.KEEPALIVE)) == n, "a dead edge sends no keep-alive: the posts' watchdogs run out"
    finally:
        agent.kill()
        rec.close()


def test_a_1970_stamp_and_a_broken_probe_condemn_only_what_they_describe(mosquitto, tmp_path: Path) -> None:
    """One post message: socket 1 at 90 degC stamped ts 5000, socket 2's probe reads -127, socket 3 is fine."""
    cfg = write_config(
        tmp_path / "shed.toml", shed_broker=mosquitto.url, cloud_broker=mosquitto.url, data_dir=tmp_path / "data"
    )
    rec = Recorder(mosquitto.url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    devices = Devices(mosquitto.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: [s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"], what="birth")
        readings = [reading(1, 200.0, temp_c=90.0), reading(2, 180.0, temp_c=-127.0), reading(3, 150.0)]
        devices.telemetry("post-1", readings, ts=5000)
        cuts = rec.wait(lambda: len(rec.of(Kind.RELAY_SET)) >= 2 and rec.of(Kind.RELAY_SET), what="two cuts")
        assert {(c.socket, c.reason) for c in cuts} == {(1, "socket_overtemp"), (2, "sensor_fault")}
        alarms = rec.wait(lambda: len(rec.events("alarm_raised")) >= 3 and rec.events("alarm_raised"), what="alarms")
        by_type = {(a.alarm_type, a.device, a.socket) for a in alarms}
        assert ("socket_overtemp", "post-1", 1) in by_type
        assert ("sensor_fault", "post-1", 2) in by_type
        assert ("clock", "post-1", None) in by_type
        statuses = rec.wait(lambda: len(rec.events("socket_status")) >= 3 and rec.events("socket_status"))
        assert {e.socket: e.status for e in statuses}[3] == "charging"  # its sibling keeps charging
        # a post that is not configured and reports a closed relay is commanded off too
        devices.telemetry("post-9", [reading(1, 200.0)])
        off = rec.wait(lambda: [c for c in rec.of(Kind.RELAY_SET) if c.reason == "unconfigured"], what="post-9 off")
        assert off[0].on is False
        # so is a socket number the configured post does not have (socket 7 of a 4-socket post), and counted
        devices.telemetry("post-1", [reading(3, 150.0), reading(7, 1500.0, temp_c=90.0)])
        stray = rec.wait(lambda: [c for c in rec.of(Kind.RELAY_SET) if c.socket == 7], what="socket 7 off")[0]
        assert (stray.on, stray.reason) == (False, "unconfigured")
        beat = rec.wait(
            lambda: [h for h in rec.of(Kind.EDGE_HEARTBEAT) if any(r.reason == "unknown_socket" for r in h.rejects)],
            what="unknown_socket counted",
        )[0]
        assert {(r.reason, r.topic): r.count for r in beat.rejects}[("unknown_socket", "telemetry")] == 1
        time.sleep(0.5)
        assert not [c for c in rec.of(Kind.RELAY_SET) if c.socket == 3]
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()
    assert "Traceback" not in agent.output()
