"""Remote commands through the API, answered by a real edge agent process over a real mosquitto: the API process
runs ingest and a command sender (as `shedwatch cloud` does by default); thresholds saved through the API are
pushed and applied; a bad target is refused before anything is sent; an edge that is gone times out."""

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cloud.api.app import create_app
from cloud.settings import CloudSettings
from protocol.shedfile import load_shed_file
from shedwatch.mosquitto import Mosquitto
from shedwatch.ports import free_port
from tests.apiauth import bearer
from tests.integration.api.staffapp import seed_shed
from tests.integration.edge.harness import AgentProcess, RelayResponder, write_config

pytestmark = pytest.mark.integration
COMMUNITY = "jinsong-north"  # the harness's shed file


async def _until(client: httpx.AsyncClient, url: str, headers: dict[str, str], key: str, want: set[object]) -> dict:  # type: ignore[type-arg]
    """Poll ``url`` until its JSON ``key`` is one of ``want`` (a loaded machine: up to 30 s)."""
    import asyncio

    deadline = time.monotonic() + 30
    body: dict = {}  # type: ignore[type-arg]
    while time.monotonic() < deadline:
        r = await client.get(url, headers=headers)
        if r.status_code == 200:
            body = r.json()
            if body.get(key) in want:
                return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url}: {key} never became one of {want}; last {body}")


async def test_commands_are_answered_by_a_real_edge_or_time_out(mosquitto: Mosquitto, tmp_path: Path) -> None:
    import asyncio

    toml = write_config(tmp_path / "shed-a.toml", shed_broker=mosquitto.url, cloud_broker=mosquitto.url,
                        data_dir=tmp_path / "edge")  # fmt: skip
    settings = CloudSettings(data_dir=tmp_path / "cloud", broker=mosquitto.url, alarms=False, inventory_refresh_s=0.5)
    app = create_app(settings)
    admin = bearer(settings, "admin", (COMMUNITY,))
    installer = bearer(settings, "installer", (COMMUNITY,))
    security = bearer(settings, "security", (COMMUNITY,), user_id="guard-li")
    responder = RelayResponder(mosquitto.url)
    edge = AgentProcess(toml, tmp_path / "edge.log")
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        try:
            # The inventory through the API, then the edge: its birth reports version 1 (its own file).
            shed = load_shed_file(toml).shed.model_dump(mode="json")
            r = await c.post("/api/v1/config/inventory", json={"shed": shed}, headers=installer)
            assert (r.status_code, r.json()["version"]) == (200, 1), r.text
            edge.start()
            await _until(c, "/api/v1/sheds/shed-a", admin, "edge_online", {True})
            await _until(c, "/api/v1/config/sheds/shed-a", admin, "reported_config_version", {1})

            cmd = {"action": "stop_socket", "device": "post-1", "socket": 2}
            r = await c.post("/api/v1/sheds/shed-a/commands", json=cmd, headers=security)
            # `sent`, or already the edge's answer when it was stored before the route read the record back.
            assert r.status_code == 202 and r.json()["status"] in {"sent", "applied"}, r.text
            sent = r.json()
            assert (sent["actor"], sent["target"], sent["action"]) == ("guard-li", "post-1/2", "stop_socket")
            url = f"/api/v1/sheds/shed-a/commands/{sent['request_id']}"
            done = await _until(c, url, security, "status", {"applied", "rejected", "expired", "failed", "timed_out"})
            assert done["status"] == "applied", done

            # Lifting the stop is the control room's: the guard who cut power may not, an admin may.
            lift = {**cmd, "action": "start_socket"}
            r = await c.post("/api/v1/sheds/shed-a/commands", json=lift, headers=security)
            assert r.status_code == 403, r.text
            r = await c.post("/api/v1/sheds/shed-a/commands", json=lift, headers=admin)
            assert r.status_code == 202 and r.json()["action"] == "start_socket", r.text
            done = await _until(c, f"/api/v1/sheds/shed-a/commands/{r.json()['request_id']}", admin, "status",
                                {"applied", "rejected", "expired", "failed", "timed_out"})  # fmt: skip
            assert done["status"] == "applied", done

            r = await c.post("/api/v1/sheds/shed-a/commands", json={**cmd, "socket": 9}, headers=security)
            done = await _until(c, f"/api/v1/sheds/shed-a/commands/{r.json()['request_id']}", security, "status",
                                {"applied", "rejected", "expired", "failed", "timed_out"})  # fmt: skip
            assert done["status"] == "rejected" and "unknown socket" in done["detail"], done

            # Refused before anything is sent: a half-named socket, a stop without a socket.
            r = await c.post("/api/v1/sheds/shed-a/commands", json={"action": "reset_trip", "device": "post-1"},
                             headers=admin)  # fmt: skip
            assert r.status_code == 422 and "device and socket go together" in r.text, r.text
            r = await c.post("/api/v1/sheds/shed-a/commands", json={"action": "stop_socket"}, headers=admin)
            assert r.status_code == 422, r.text

            # Thresholds saved through the API become version 2; pushed, the edge applies them.
            r = await c.put("/api/v1/config/sheds/shed-a/thresholds", json={"over_power_w": 800.0}, headers=installer)
            assert (r.status_code, r.json()["version"]) == (200, 2), r.text
            r = await c.post("/api/v1/sheds/shed-a/commands", json={"action": "push_config"}, headers=installer)
            assert r.status_code == 202 and r.json()["request_id"] == "config-2", r.text
            done = await _until(c, "/api/v1/sheds/shed-a/commands/config-2", installer, "status",
                                {"applied", "rejected", "expired", "failed", "timed_out"})  # fmt: skip
            assert done["status"] == "applied", done

            # The edge gone, a command with a 1 s expiry is settled as timed out once its answer cannot come.
            assert edge.terminate() == 0
            r = await c.post("/api/v1/sheds/shed-a/commands", json={**cmd, "ttl_s": 1}, headers=admin)
            url = f"/api/v1/sheds/shed-a/commands/{r.json()['request_id']}"
            assert (await c.get(url, headers=admin)).json()["status"] == "sent"
            await asyncio.sleep(3.2)  # past the expiry (1 s) and the answer's grace (2 s)
            assert (await c.get(url, headers=admin)).json()["status"] == "timed_out"
            assert (await c.get("/api/v1/sheds/shed-a/commands/nope", headers=admin)).status_code == 404
        finally:
            edge.kill()
            responder.close()


async def test_the_command_sender_connects_once_the_broker_comes_up(
    mosquitto_factory: Callable[..., Mosquitto], tmp_path: Path
) -> None:
    import asyncio

    port = free_port()
    settings = CloudSettings(data_dir=tmp_path, ingest=False, commands=True, alarms=False,
                             broker=f"mqtt://127.0.0.1:{port}")  # fmt: skip
    app = create_app(settings)
    admin = bearer(settings, "admin", ("c1",))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        seed_shed(app.state.cloud, "shed-a", "c1")
        stop = {"action": "stop_socket", "device": "post-1", "socket": 1}
        r = await c.post("/api/v1/sheds/shed-a/commands", json=stop, headers=admin)
        assert r.status_code == 503  # nothing listens yet
        mosquitto_factory(port=port)
        for _ in range(300):  # the sender retries every 5 s
            r = await c.post("/api/v1/sheds/shed-a/commands", json=stop, headers=admin)
            if r.status_code == 202:
                break
            await asyncio.sleep(0.1)
        assert r.status_code == 202 and r.json()["status"] == "sent", r.text
