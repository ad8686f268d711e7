"""Authorised sheds through the real agent and real mosquitto: sessions start, meter, end, survive, hold limits."""

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from protocol.clock import ScaledClock
from protocol.topics import Kind, shed_topic
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, RelayResponder, client, write_config
from tests.integration.edge.session_helpers import authorise, bike_scenario, meter_reading, session_command
from tests.integration.sim.helpers import start_sim, stop_sim

pytestmark = pytest.mark.integration

COMMANDS = shed_topic(Kind.CLOUD_COMMAND, "shed-a")


def _ended(rec: Recorder, session: str) -> Any:
    return rec.wait(
        lambda: [e for e in rec.events("session_ended") if e.session == session], timeout=30, what=f"{session} ended"
    )[0]


def _result(rec: Recorder, request_id: str) -> Any:
    return rec.wait(lambda: [r for r in rec.of(Kind.EDGE_RESULT) if r.request_id == request_id], what=request_id)[0]


def _relays(rec: Recorder, socket: int) -> list[tuple[bool, str]]:
    return [(c.on, c.reason) for c in rec.of(Kind.RELAY_SET) if c.socket == socket]


def _stored_sessions(data: Path) -> dict[str, int]:
    db = sqlite3.connect(data / "outbox.sqlite")
    try:
        return dict(db.execute("SELECT session, active FROM charge_sessions").fetchall())
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


def test_refusal_energy_and_time_limits_and_stop(mosquitto, tmp_path: Path) -> None:
    url = mosquitto.url
    cfg = authorise(write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=tmp_path / "d"))
    rec = Recorder(url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    responder = RelayResponder(url)
    devices = Devices(url)
    cloud = client(url, "cloud")
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        # a post that closes the relay at plug-in, with no session: opened at once, the socket stays "plugged"
        devices.telemetry(
            "post-1", [meter_reading(4, 150.0, 0.0), *(meter_reading(n, 0, 100, relay=False) for n in (1, 2, 3))]
        )
        rec.wait(lambda: _relays(rec, 4) == [(False, "no_session")], what="no_session cut")
        rec.wait(lambda: len(rec.events("socket_status")) >= 4, what="4 plugged sockets")
        assert {e.status.value for e in rec.events("socket_status")} == {"plugged"}

        cloud.publish(
            COMMANDS,
            session_command("c-1", "start_session", session="s-1", device="post-1", socket=1, limit_wh=5.0),
            qos=1,
        )
        cloud.publish(
            COMMANDS,
            session_command("c-2", "start_session", session="s-2", device="post-1", socket=2, limit_s=2.0),
            qos=1,
        )
        cloud.publish(
            COMMANDS, session_command("c-3", "start_session", session="s-3", device="post-1", socket=3), qos=1
        )
        cloud.publish(
            COMMANDS, session_command("c-4", "start_session", session="s-4", device="post-1", socket=1), qos=1
        )
        assert _result(rec, "c-1").status == "applied"
        assert _result(rec, "c-4").status == "rejected" and "another active session (s-1)" in _result(rec, "c-4").detail
        rec.wait(lambda: len(rec.events("session_started")) == 3, what="3 sessions started")
        assert _relays(rec, 1) == [(True, "session_start")]
        for counter in (102.0, 104.0, 106.0):  # the post's counter: 6 Wh past the 100 Wh it read at the start
            devices.telemetry(
                "post-1", [meter_reading(1, 200.0, counter), meter_reading(2, 200.0, 100), meter_reading(3, 200.0, 100)]
            )
        s1 = _ended(rec, "s-1")
        assert (s1.reason.value, s1.energy_wh) == ("limit_energy", 6.0)
        rec.wait(lambda: _relays(rec, 1)[-1] == (False, "limit_energy"), what="s-1 cut")
        s2 = _ended(rec, "s-2")
        assert s2.reason.value == "limit_time" and 2.0 <= s2.duration_s < 8.0  # a tick late at most (loaded machine)
        cloud.publish(COMMANDS, session_command("c-5", "stop_session", session="s-3"), qos=1)
        s3 = _ended(rec, "s-3")
        assert s3.reason.value == "stopped" and _result(rec, "c-5").status == "applied"
        rec.wait(lambda: _relays(rec, 3)[-1] == (False, "session_stop"), what="s-3 cut")
        cloud.publish(COMMANDS, session_command("c-6", "stop_session", session="s-3"), qos=1)
        assert _result(rec, "c-6").detail == "session s-3 already ended (stopped)"
        rec.wait(lambda: _stored_sessions(tmp_path / "d") == {"s-1": 0, "s-2": 0, "s-3": 0}, what="stored ends")
        assert agent.terminate() == 0
    finally:
        agent.kill()
        cloud.disconnect()
        for c in (rec, responder, devices):
            c.close()
    assert [e.session for e in rec.events("session_started")] == ["s-1", "s-2", "s-3"]
    assert len(rec.events("session_ended")) == 3
    assert not [c for c in rec.of(Kind.RELAY_SET) if c.socket == 4 and c.on], "never energised without a session"
    stream = rec.of(Kind.EDGE_EVENT) + rec.of(Kind.EDGE_RESULT) + rec.of(Kind.EDGE_TELEMETRY)
    seqs = sorted(m.seq for m in stream)
    assert seqs == list(range(1, len(seqs) + 1))


def test_sigkill_mid_session_resumes_it_and_its_limit_holds(mosquitto, tmp_path: Path) -> None:
    url = mosquitto.url
    data = tmp_path / "d"
    cfg = authorise(write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=data))
    rec = Recorder(url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    responder = RelayResponder(url)
    devices = Devices(url)
    cloud = client(url, "cloud")
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        devices.telemetry("post-1", [meter_reading(1, 0, 10.0, relay=False), meter_reading(2, 0, 50.0, relay=False)])
        rec.wait(lambda: len(rec.events("socket_status")) >= 2, what="plugged")
        cloud.publish(
            COMMANDS,
            session_command("c-1", "start_session", session="s-1", device="post-1", socket=1, limit_s=6.0),
            qos=1,
        )
        cloud.publish(
            COMMANDS, session_command("c-2", "start_session", session="s-2", device="post-1", socket=2), qos=1
        )
        rec.wait(lambda: _stored_sessions(data) == {"s-1": 1, "s-2": 1}, what="both sessions stored")
        started = time.monotonic()
        devices.telemetry("post-1", [meter_reading(1, 200.0, 13.0), meter_reading(2, 200.0, 51.0)])
        rec.wait(lambda: rec.events("socket_status") and rec.events("socket_status")[-1].status.value == "charging")
        agent.kill()
        # while the edge is down: socket 1 keeps drawing, socket 2's bike is taken away
        devices.telemetry(
            "post-1", [meter_reading(1, 200.0, 18.0), meter_reading(2, 0.0, 51.0, relay=False, plugged=False)]
        )
        agent = AgentProcess(cfg, tmp_path / "agent.log").start()
        s2 = _ended(rec, "s-2")
        assert (s2.reason.value, s2.energy_wh) == ("unplugged", 1.0)
        s1 = _ended(rec, "s-1")
        assert s1.reason.value == "limit_time" and s1.energy_wh == 8.0  # drawn while the edge was down counts
        assert s1.duration_s >= 6.0  # counted on from what was stored, never from zero
        assert time.monotonic() - started >= 6.0 - 1.0  # never earlier than its limit (what ran before the kill)
        assert agent.terminate() == 0
    finally:
        agent.kill()
        cloud.disconnect()
        for c in (rec, responder, devices):
            c.close()
    # A message the broker got but whose PUBACK the SIGKILL beat is sent again with the same seq (at least once
    # to the broker; the cloud stores one per (src, seq)): "never doubled" means one seq per session start / end.
    for kind in ("session_started", "session_ended"):
        by_seq = {e.seq: e.session for e in rec.events(kind)}
        assert sorted(by_seq.values()) == ["s-1", "s-2"], f"{kind} never doubled"
    assert "resumed 2 charging session(s)" in agent.output()


def test_the_limit_holds_while_the_cloud_broker_is_down(mosquitto_factory, tmp_path: Path) -> None:
    shed = mosquitto_factory()
    cloud = mosquitto_factory(persistence=True)
    cfg = authorise(
        write_config(tmp_path / "shed.toml", shed_broker=shed.url, cloud_broker=cloud.url, data_dir=tmp_path / "d")
    )
    cloud_rec = Recorder(cloud.url, ["sw/v1/edge/shed-a/#"], client_id="cloud-rec", clean=False)
    shed_rec = Recorder(shed.url, ["sw/v1/shed/shed-a/dev/+/relay/set"])
    responder = RelayResponder(shed.url)
    devices = Devices(shed.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        cloud_rec.wait(lambda: cloud_rec.of(Kind.EDGE_STATE), what="birth")
        devices.telemetry("post-1", [meter_reading(1, 0, 0.0, relay=False)])
        sender = client(cloud.url, "cloud")
        sender.publish(
            COMMANDS,
            session_command("c-1", "start_session", session="s-1", device="post-1", socket=1, limit_s=3.0),
            qos=1,
        ).wait_for_publish(5)
        cloud_rec.wait(lambda: cloud_rec.events("session_started"), what="started")
        sender.disconnect()
        cloud.stop()
        devices.telemetry("post-1", [meter_reading(1, 200.0, 2.0)])
        shed_rec.wait(lambda: (False, "limit_time") in _relays(shed_rec, 1), what="cut at the limit, cloud down")
        assert not cloud.running
        cloud.start()
        end = _ended(cloud_rec, "s-1")
        assert (end.reason.value, end.energy_wh) == ("limit_time", 2.0) and end.duration_s >= 3.0
        assert agent.terminate() == 0
    finally:
        agent.kill()
        for c in (cloud_rec, shed_rec, responder, devices):
            c.close()


def test_a_simulated_bike_charges_to_full_in_a_session(mosquitto, tmp_path: Path) -> None:
    url = mosquitto.url
    thresholds = "stale_samples = 30\nrelay_confirm_s = 120\nheartbeat_s = 600\nfull_hold_s = 120\n"
    cfg = authorise(
        write_config(
            tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=tmp_path / "d", thresholds=thresholds
        )
    )
    scenario = bike_scenario(tmp_path / "bike.toml", cfg, device="post-1", socket=1, soc=0.96)  # full in ~5 min
    clock = ScaledClock(speed=60)
    rec = Recorder(
        url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set", "sw/v1/shed/shed-a/dev/+/telemetry"]
    )
    agent = AgentProcess(cfg, tmp_path / "agent.log", clock=clock.spec()).start()
    sim = start_sim("run", str(scenario), "--broker", url, "--clock", clock.spec())
    cloud = client(url, "cloud")
    try:
        rec.wait(lambda: [e for e in rec.events("socket_status") if e.socket == 1], what="the bike plugged in")
        assert not _relays(rec, 1), "a plugged bike waits for its session"
        cloud.publish(
            COMMANDS,
            session_command(
                "c-1", "start_session", session="s-full", device="post-1", socket=1, clock=clock, expires_in_s=3600
            ),
            qos=1,
        )
        end = _ended(rec, "s-full")
        assert end.reason.value == "full"
        assert _relays(rec, 1) == [(True, "session_start"), (False, "full")]
        meters = [m for m in rec.events("session_meter") if m.session == "s-full"]
        assert len(meters) >= 3 and [m.energy_wh for m in meters] == sorted(m.energy_wh for m in meters)
        rec.wait(lambda: _counter(rec) is not None and not _counter(rec)[1], what="the post reporting the relay open")
        counter, _relay = _counter(rec)
        assert end.energy_wh > 2.0 and abs(end.energy_wh - counter) < 1.0, (end.energy_wh, counter)
        assert agent.terminate() == 0
    finally:
        agent.kill()
        code, err = stop_sim(sim)
        cloud.disconnect()
        rec.close()
    assert code == 0, err


def _counter(rec: Recorder) -> tuple[float, bool] | None:
    """Socket 1's energy counter and relay in the post's latest telemetry."""
    for msg in reversed(rec.of(Kind.POST_TELEMETRY)):
        for r in msg.sockets:
            if r.socket == 1:
                return r.energy_wh, r.relay
    return None


def test_a_stop_that_expired_while_the_edge_was_down_still_ends_the_resumed_session(mosquitto, tmp_path: Path) -> None:
    # The cloud ended the session (a resident's stop) while the edge was down; its stop_session waited at the broker
    # past its expiry. The restarted agent resumes the session from disk and must still take the stop.
    url = mosquitto.url
    data = tmp_path / "d"
    cfg = authorise(write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=data))
    rec = Recorder(url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    responder = RelayResponder(url)
    devices = Devices(url)
    cloud = client(url, "cloud")
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        devices.telemetry("post-1", [meter_reading(1, 0, 10.0, relay=False)])
        rec.wait(lambda: rec.events("socket_status"), what="plugged")
        start = session_command("c-1", "start_session", session="s-1", device="post-1", socket=1)
        cloud.publish(COMMANDS, start, qos=1)
        rec.wait(lambda: _stored_sessions(data) == {"s-1": 1}, what="the session stored")
        devices.telemetry("post-1", [meter_reading(1, 200.0, 13.0)])
        agent.kill()
        stale = session_command("c-stop", "stop_session", session="s-1", expires_in_s=-1)  # already expired
        cloud.publish(COMMANDS, stale, qos=1).wait_for_publish(10)
        agent = AgentProcess(cfg, tmp_path / "agent.log").start()
        assert _ended(rec, "s-1").reason.value == "stopped"
        assert _result(rec, "c-stop").status == "applied"
        rec.wait(lambda: _relays(rec, 1)[-1] == (False, "session_stop"), what="the socket cut")
        assert agent.terminate() == 0
    finally:
        agent.kill()
        cloud.disconnect()
        for c in (rec, responder, devices):
            c.close()
    assert "resumed 1 charging session(s)" in agent.output()


def _stored_latches(data: Path) -> list[str]:
    db = sqlite3.connect(data / "outbox.sqlite")
    try:
        return [row[0] for row in db.execute("SELECT body FROM latches")]
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def test_a_latched_socket_switched_on_after_a_sigkill_is_cut_naming_its_latch(mosquitto, tmp_path: Path) -> None:
    """An authorised shed: over-power latches socket 2; after SIGKILL and restart the post reports it closed again."""
    url = mosquitto.url
    data = tmp_path / "d"
    cfg = authorise(write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=data))
    rec = Recorder(url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    devices = Devices(url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        devices.telemetry("post-1", [meter_reading(2, 1500.0, 1.0)])
        rec.wait(lambda: (False, "over_power") in _relays(rec, 2), what="the over-power cut")
        rec.wait(lambda: any("over_power" in b for b in _stored_latches(data)), what="the latch stored")
        agent.kill()
        births = len([s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"])
        agent = AgentProcess(cfg, tmp_path / "agent2.log").start()
        rec.wait(lambda: len([s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"]) > births, what="rebirth")
        cuts_before = len(_relays(rec, 2))
        devices.telemetry("post-1", [meter_reading(2, 0.0, 1.0)])  # the post switched it back on (relay closed)
        rec.wait(lambda: len(_relays(rec, 2)) > cuts_before, what="the latched socket cut again")
        assert _relays(rec, 2)[cuts_before:] == [(False, "over_power")]
        assert not [e for e in rec.events("interlock") if e.reason == "no_session"]
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()
