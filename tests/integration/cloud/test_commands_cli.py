"""The cloud owns the inventory and commands the edge: import, config push and commands, answered by a real edge
agent process over a real mosquitto, or timed out."""

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from shedwatch.mosquitto import Mosquitto
from tests.integration.cloud.conftest import CloudProcess
from tests.integration.edge.harness import REPO, AgentProcess, RelayResponder, write_config
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def _cli(*args: str, data_dir: Path, broker: str) -> tuple[int, dict[str, object]]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "shedwatch",
            "cloud",
            *args[:2],
            *args[2:],
            "--data-dir",
            str(data_dir),
            "--broker",
            broker,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = out.stdout.strip().splitlines()
    assert lines, out.stderr[-2000:]
    return out.returncode, json.loads(lines[-1])


def test_inventory_push_and_commands_are_answered_by_a_real_edge_or_time_out(
    mosquitto: Mosquitto, cloud_factory: Callable[..., CloudProcess], tmp_path: Path
) -> None:
    data = tmp_path / "cloud"
    cloud = cloud_factory(["--broker", mosquitto.url], data_dir=data).start()
    toml = write_config(
        tmp_path / "shed-a.toml",
        shed_broker=mosquitto.url,
        cloud_broker=mosquitto.url.replace("mqtt://", "mqtt://edge-a:s3cret-pw@"),
        data_dir=tmp_path / "edge",
    )
    responder = RelayResponder(mosquitto.url)
    edge = AgentProcess(toml, tmp_path / "edge.log").start()
    try:
        wait_until(lambda: cloud.get("/api/v1/availability")["sheds"], what="the edge's birth", timeout=20)  # type: ignore[index]

        # The edge already runs version 1 (its bootstrap copy): its birth says so.
        rc, out = _cli("inventory", "import", str(toml), "--push", data_dir=data, broker=mosquitto.url)
        assert (rc, out["version"], out["push"]) == (0, 1, "applied"), out
        # A changed file becomes version 2; the edge applies it and answers.
        toml.write_text(toml.read_text().replace('sensors = ["env-1"]', 'sensors = ["env-1", "env-2"]'))
        rc, out = _cli("inventory", "import", str(toml), "--push", data_dir=data, broker=mosquitto.url)
        assert (rc, out["version"], out["push"]) == (0, 2, "applied"), out
        assert b"s3cret-pw" not in (data / "state.db").read_bytes()  # the edge's credentials never reach the cloud
        # The running cloud takes the imported inventory within inventory_refresh_s (5 s).
        wait_until(
            lambda: cloud.get("/api/v1/availability")["sheds"][0]["community"] == "jinsong-north",  # type: ignore[index]
            what="the imported community",
            timeout=20,
        )

        rc, out = _cli(
            "command",
            "stop-socket",
            "--shed",
            "shed-a",
            "--device",
            "post-1",
            "--socket",
            "2",
            data_dir=data,
            broker=mosquitto.url,
        )
        assert (rc, out["status"]) == (0, "applied"), out
        rc, out = _cli(
            "command",
            "start-socket",
            "--shed",
            "shed-a",
            "--device",
            "post-1",
            "--socket",
            "9",
            data_dir=data,
            broker=mosquitto.url,
        )
        assert (rc, out["status"]) == (3, "rejected") and "unknown socket" in str(out["detail"]), out

        rc, out = _cli("command", "stop-socket", "--shed", "shed-a", "--device", "bad/id", "--socket", "1",
                       data_dir=data, broker=mosquitto.url)  # fmt: skip
        assert rc == 2 and "device" in str(out["error"]), out  # refused before anything is sent or audited

        assert edge.terminate() == 0
        rc, out = _cli(
            "command",
            "stop-socket",
            "--shed",
            "shed-a",
            "--device",
            "post-1",
            "--socket",
            "1",
            "--ttl",
            "1",
            "--timeout",
            "2",
            data_dir=data,
            broker=mosquitto.url,
        )
        assert (rc, out["status"]) == (4, "timed_out"), out
    finally:
        edge.kill()  # whatever failed above: no agent outlives the test
        responder.close()
    assert cloud.stop() == 0


def test_a_half_named_socket_is_refused_before_any_connection(tmp_path: Path) -> None:
    # found black-box: 'reset-trip --device post-1' (no --socket) was sent, and the edge refused it (exit 3).
    # Nothing listens on this broker port: exit 2 (not 5, unreachable) proves no connection was even tried.
    from shedwatch.ports import free_port

    rc, out = _cli(
        "command",
        "reset-trip",
        "--shed",
        "shed-a",
        "--device",
        "post-1",
        "--timeout",
        "1",
        data_dir=tmp_path,
        broker=f"mqtt://127.0.0.1:{free_port()}",
    )
    assert rc == 2, out
    assert "device and socket go together" in str(out["error"])
