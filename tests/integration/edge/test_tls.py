"""The uplink over TLS (mqtts://) to a cloud broker whose certificate a private CA signed."""

from pathlib import Path

import pytest

from protocol.topics import Kind
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, reading, write_config
from tests.integration.pki import make_pki as _pki

pytestmark = pytest.mark.integration


def test_uplink_over_tls(mosquitto_factory, tmp_path: Path) -> None:
    ca, cert, key = _pki(tmp_path)
    shed = mosquitto_factory()
    cloud = mosquitto_factory(extra_config=f"cafile {ca}\ncertfile {cert}\nkeyfile {key}")
    cloud_url = f"mqtts://127.0.0.1:{cloud.port}"
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=shed.url,
        cloud_broker=cloud_url,
        data_dir=tmp_path / "data",
        agent_extra=f'tls_ca_file = "{ca}"',
    )
    rec = Recorder(cloud_url, ["sw/v1/edge/shed-a/#"], ca_file=str(ca))
    devices = Devices(shed.url)
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth over TLS")
        devices.telemetry("post-1", [reading(1, 200.0)])
        rec.wait(lambda: rec.events("socket_status"), what="an event over TLS")
        assert agent.terminate() == 0
    finally:
        agent.kill()
        rec.close()
        devices.close()
