"""An operator's stop survives SIGKILL of the agent: answered only once it is on disk, back at the next start (the
birth says stopped, a post that switches the socket on is cut again), lifted by start_socket and lifted after the
next restart too; unreadable stored state holds every socket stopped; a stop the store refuses is answered failed."""

import sqlite3
from pathlib import Path

import pytest

from protocol.topics import Kind, shed_topic
from tests.integration.edge.harness import (
    AgentProcess,
    Devices,
    Recorder,
    RelayResponder,
    client,
    command,
    reading,
    write_config,
)

pytestmark = pytest.mark.integration


def test_a_stop_survives_sigkill_and_start_socket_lifts_it_for_good(mosquitto, tmp_path: Path) -> None:
    url = mosquitto.url
    cfg = write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=tmp_path / "data")
    rec = Recorder(url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    responder = RelayResponder(url)
    devices = Devices(url)
    cloud = client(url, "cloud")
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    commands = shed_topic(Kind.CLOUD_COMMAND, "shed-a")

    def births() -> list:
        return [s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"]

    def stopped(birth) -> dict[int, bool]:
        return {s.socket: s.stopped for s in birth.sockets if s.device == "post-1"}

    def answer(request_id: str) -> str:
        return rec.wait(lambda: [r for r in rec.of(Kind.EDGE_RESULT) if r.request_id == request_id], what=request_id)[
            0
        ].status

    def restart(n: int) -> AgentProcess:
        """SIGKILL (a power cut of the Pi) and start again; the n-th birth."""
        agent.kill()
        started = AgentProcess(cfg, tmp_path / f"agent{n}.log").start()
        rec.wait(lambda: len(births()) >= n, what=f"birth {n}")
        return started

    def relays_after(mark: int, socket: int) -> list:
        return [c for c in rec.of(Kind.RELAY_SET)[mark:] if c.socket == socket]

    try:
        rec.wait(births, what="birth")
        devices.telemetry("post-1", [reading(1, 200.0)])
        rec.wait(lambda: rec.events("socket_status"), what="charging")
        cloud.publish(commands, command("stop-1", "stop_socket", device="post-1", socket=1), qos=1)
        assert answer("stop-1") == "applied"  # answered only once stored: killed at once, the stop must hold

        agent = restart(2)
        assert stopped(births()[1]) == {1: True, 2: False, 3: False, 4: False}
        mark = len(rec.of(Kind.RELAY_SET))
        # the post switches socket 1 on again by itself (a reboot, its watchdog); socket 2 trips in the same reading
        devices.telemetry("post-1", [reading(1, 200.0), reading(2, 300.0, temp_c=70.0)])
        rec.wait(lambda: relays_after(mark, 2), what="the trip of socket 2")
        assert [(c.on, c.reason) for c in relays_after(mark, 1)] == [(False, "operator_stop")]

        cloud.publish(commands, command("start-1", "start_socket", device="post-1", socket=1), qos=1)
        assert answer("start-1") == "applied"
        rec.wait(lambda: [c for c in relays_after(mark, 1) if c.on and c.reason == "operator_start"], what="on")

        agent = restart(3)
        assert stopped(births()[2]) == {1: False, 2: False, 3: False, 4: False}
        mark = len(rec.of(Kind.RELAY_SET))
        devices.telemetry("post-1", [reading(1, 200.0), reading(3, 300.0, temp_c=70.0)])
        rec.wait(lambda: relays_after(mark, 3), what="the trip of socket 3")
        assert relays_after(mark, 1) == []  # lifted stays lifted: nothing cuts socket 1
        assert agent.terminate() == 0
        assert "Traceback" not in agent.output()
    finally:
        agent.kill()
        cloud.disconnect()
        cloud.loop_stop()
        for c in (rec, responder, devices):
            c.close()


def test_unreadable_stored_state_starts_with_every_socket_stopped_and_alarmed(mosquitto, tmp_path: Path) -> None:
    url = mosquitto.url
    cfg = write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=tmp_path / "data")
    rec = Recorder(url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    devices = Devices(url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        assert agent.terminate() == 0
        db = sqlite3.connect(tmp_path / "data" / "outbox.sqlite")
        db.execute('INSERT INTO latches (body) VALUES (\'{"scope": "stop", "dev\')')  # torn by a bad card
        db.commit()
        db.close()
        agent = AgentProcess(cfg, tmp_path / "agent2.log").start()
        birth = rec.wait(lambda: [s for s in rec.of(Kind.EDGE_STATE) if s.state == "birth"][1:], what="rebirth")[0]
        assert all(s.stopped for s in birth.sockets)
        alarm = rec.wait(lambda: rec.events("alarm_raised"), what="the trouble alarm")[0]
        assert (alarm.alarm_type, alarm.alarm_class.value) == ("stored_state_unreadable", "trouble")
        mark = len(rec.of(Kind.RELAY_SET))
        devices.telemetry("post-1", [reading(4, 200.0)])  # a post switches a socket on: held off, cut
        cut = rec.wait(lambda: rec.of(Kind.RELAY_SET)[mark:], what="the cut")[0]
        assert (cut.socket, cut.on, cut.reason) == (4, False, "operator_stop")
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()


def test_a_stop_that_cannot_be_stored_is_answered_failed_not_applied(mosquitto, tmp_path: Path) -> None:
    url = mosquitto.url
    cfg = write_config(tmp_path / "shed.toml", shed_broker=url, cloud_broker=url, data_dir=tmp_path / "data")
    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / "outbox.sqlite")  # a store that refuses the record, as a full or failing card would
    db.execute("CREATE TABLE latches (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)")
    db.execute("CREATE TRIGGER refuse BEFORE INSERT ON latches BEGIN SELECT RAISE(ABORT, 'card failing'); END")
    db.commit()
    db.close()
    rec = Recorder(url, ["sw/v1/edge/shed-a/#", "sw/v1/shed/shed-a/dev/+/relay/set"])
    responder = RelayResponder(url)
    cloud = client(url, "cloud")
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        cloud.publish(
            shed_topic(Kind.CLOUD_COMMAND, "shed-a"),
            command("stop-1", "stop_socket", device="post-1", socket=1),
            qos=1,
        )
        answer = rec.wait(lambda: rec.of(Kind.EDGE_RESULT), what="the answer")[0]
        assert (answer.request_id, answer.status) == ("stop-1", "failed")
        assert "not stored" in answer.detail
        cut = rec.wait(lambda: rec.of(Kind.RELAY_SET), what="the cut")[0]
        assert (cut.socket, cut.on, cut.reason) == (1, False, "operator_stop")  # it holds until the agent restarts
        assert agent.terminate() == 0
    finally:
        agent.kill()
        cloud.disconnect()
        cloud.loop_stop()
        rec.close()
        responder.close()
    db = sqlite3.connect(data / "outbox.sqlite")
    audit = db.execute("SELECT request_id, status FROM audit").fetchall()
    db.close()
    assert audit == [("stop-1", "failed")]
