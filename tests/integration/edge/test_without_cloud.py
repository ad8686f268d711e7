"""Safety lives at the edge: cuts happen while the cloud broker is stopped (separate brokers)."""

from pathlib import Path

import pytest

from protocol.topics import Kind, parse_topic
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, RelayResponder, reading, write_config

pytestmark = pytest.mark.integration


def test_socket_overtemp_and_off_gas_cut_while_the_cloud_is_down(mosquitto_factory, tmp_path: Path) -> None:
    shed = mosquitto_factory()
    cloud = mosquitto_factory(persistence=True)
    cfg = write_config(
        tmp_path / "shed.toml", shed_broker=shed.url, cloud_broker=cloud.url, data_dir=tmp_path / "data", posts=2
    )
    cloud_rec = Recorder(cloud.url, ["sw/v1/edge/shed-a/#"], client_id="cloud-rec", clean=False)
    shed_rec = Recorder(shed.url, ["sw/v1/shed/shed-a/dev/+/relay/set"])
    responder = RelayResponder(shed.url)
    devices = Devices(shed.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        cloud_rec.wait(lambda: cloud_rec.of(Kind.EDGE_STATE), what="birth")
        cloud.stop()
        devices.telemetry("post-1", [reading(1, 200.0), reading(2, 250.0, temp_c=71.0)])
        devices.telemetry("post-2", [reading(1, 180.0)])
        cut = shed_rec.wait(lambda: shed_rec.of(Kind.RELAY_SET), what="over-temperature cut")
        assert [(c.socket, c.on, c.reason) for c in cut] == [(2, False, "socket_overtemp")]

        devices.environment("env-1", h2_ppm=250.0)

        def shed_cuts() -> set[tuple[str, int]]:
            with shed_rec.lock:
                msgs = list(shed_rec.messages)
            # a post-level off (no socket) covers every socket of its post
            return {
                (parse_topic(t).device or "", s)
                for t, m in msgs
                if not m.on
                for s in ((1, 2, 3, 4) if m.socket is None else (m.socket,))
            }

        every = {(p, s) for p in ("post-1", "post-2") for s in (1, 2, 3, 4)}
        shed_rec.wait(lambda: shed_cuts() == every, what="every socket of the shed cut")
        assert not cloud.running

        cloud.start()
        events = cloud_rec.wait(
            lambda: [e for e in cloud_rec.events("interlock") if e.scope == "shed"] and cloud_rec.events(),
            timeout=20,
            what="events after the cloud came back",
        )
        reasons = {(e.scope, e.reason) for e in events if e.type == "interlock"}
        assert {("socket", "socket_overtemp"), ("shed", "off_gas")} <= reasons
        alarms = {e.alarm_type for e in events if e.type == "alarm_raised"}
        assert {"socket_overtemp", "off_gas"} <= alarms
        assert agent.terminate() == 0
    finally:
        agent.kill()
        for c in (cloud_rec, shed_rec, responder, devices):
            c.close()
