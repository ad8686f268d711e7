"""The cloud over TLS to a broker whose certificate a private CA signed: ingest and commands, through the one
MQTT adapter (before, the cloud could only trust the system CAs)."""

from collections.abc import Callable
from pathlib import Path

import pytest

from shedwatch.mosquitto import Mosquitto
from tests.integration.cloud.conftest import CloudProcess
from tests.integration.cloud.test_commands_cli import _cli
from tests.integration.edge.harness import AgentProcess, RelayResponder, write_config
from tests.integration.pki import make_pki
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def test_cloud_ingest_and_commands_over_tls_with_a_private_ca(
    mosquitto_factory: Callable[..., Mosquitto], cloud_factory: Callable[..., CloudProcess], tmp_path: Path
) -> None:
    ca, cert, key = make_pki(tmp_path)
    shed = mosquitto_factory()
    broker = mosquitto_factory(extra_config=f"cafile {ca}\ncertfile {cert}\nkeyfile {key}")
    url = f"mqtts://127.0.0.1:{broker.port}"
    data = tmp_path / "cloud"
    cloud = cloud_factory(["--broker", url, "--tls-ca-file", str(ca)], data_dir=data).start()
    toml = write_config(
        tmp_path / "shed.toml",
        shed_broker=shed.url,
        cloud_broker=url,
        data_dir=tmp_path / "edge",
        agent_extra=f'tls_ca_file = "{ca}"',
    )
    responder = RelayResponder(shed.url)
    edge = AgentProcess(toml, tmp_path / "edge.log").start()
    try:
        wait_until(lambda: cloud.get("/api/v1/availability")["sheds"], what="the birth over TLS", timeout=20)  # type: ignore[index]
        rc, out = _cli(
            "command", "stop-socket", "--shed", "shed-a", "--device", "post-1", "--socket", "1",
            "--tls-ca-file", str(ca), data_dir=data, broker=url,
        )  # fmt: skip
        assert (rc, out["status"]) == (0, "applied"), out
        # Without the CA the command cannot connect: a clear error, no hang.
        rc, out = _cli("command", "stop-socket", "--shed", "shed-a", "--device", "post-1", "--socket", "1",
                       "--timeout", "2", data_dir=data, broker=url)  # fmt: skip
        assert (rc, out["status"]) == (5, "unreachable"), out
        assert edge.terminate() == 0
    finally:
        edge.kill()
        responder.close()
    assert cloud.stop() == 0
