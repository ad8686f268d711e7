"""The generated shed broker ACL on real mosquitto: devices speak only for themselves; the edge works."""

import contextlib
import subprocess
import time
from pathlib import Path

import pytest

from edge.broker_acl import shed_acl, shed_users
from edge.settings import load_config
from protocol.topics import Kind
from tests.integration.edge.harness import AgentProcess, Devices, Recorder, RelayResponder, reading, write_config

pytestmark = pytest.mark.integration


def test_devices_cannot_speak_for_others(mosquitto_factory, tmp_path: Path) -> None:
    base = write_config(
        tmp_path / "plain.toml",
        shed_broker="mqtt://127.0.0.1:1",
        cloud_broker="mqtt://127.0.0.1:1",
        data_dir=tmp_path / "data",
        posts=2,
    )
    shed_cfg = load_config(base).shed
    acl = tmp_path / "shed.acl"
    acl.write_text(shed_acl(shed_cfg))
    passwd = tmp_path / "shed.passwd"
    passwd.touch()
    for user in shed_users(shed_cfg):
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, f"pw-{user}"], check=True)
    shed = mosquitto_factory(
        extra_config=f"allow_anonymous false\npassword_file {passwd}\nacl_file {acl}\nset_tcp_nodelay true"
    )
    cloud = mosquitto_factory()
    port = shed.port
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=f"mqtt://edge:pw-edge@127.0.0.1:{port}",
        cloud_broker=cloud.url,
        data_dir=tmp_path / "data",
        posts=2,
    )
    rec = Recorder(cloud.url, ["sw/v1/edge/shed-a/#"])
    post1 = RelayResponder(f"mqtt://post-1:pw-post-1@127.0.0.1:{port}", client_id="post-1", post="post-1")
    post1_out = Devices(f"mqtt://post-1:pw-post-1@127.0.0.1:{port}", client_id="post-1-tx")
    post2 = Devices(f"mqtt://post-2:pw-post-2@127.0.0.1:{port}", client_id="post-2")
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    try:
        rec.wait(lambda: rec.of(Kind.EDGE_STATE), what="birth")
        time.sleep(0.5)  # the agent's shed subscription is in place
        spoof = Devices(f"mqtt://post-2:pw-post-2@127.0.0.1:{port}", client_id="post-2-spoof")
        # post-2 pretending to be post-1: the broker refuses it (and may drop the connection)
        with contextlib.suppress(RuntimeError):
            spoof.telemetry("post-1", [reading(1, 1500.0)])
        spoof.close()
        post2.telemetry("post-2", [reading(2, 200.0)])  # its own telemetry passes
        rec.wait(lambda: rec.events("socket_status"), what="post-2 status")
        assert not post1.commands
        post1_out.telemetry("post-1", [reading(1, 1500.0)])
        cmd = rec.wait(lambda: post1.commands, what="post-1 receives its relay-off")[0]
        assert cmd.socket == 1 and not cmd.on
        rec.wait(lambda: len(rec.events("socket_status")) >= 2, what="post-1 status")
        assert {(e.device, e.socket) for e in rec.events("socket_status")} == {("post-2", 2), ("post-1", 1)}
        assert agent.terminate() == 0
    finally:
        agent.kill()
        for c in (rec, post1, post1_out, post2):
            c.close()
