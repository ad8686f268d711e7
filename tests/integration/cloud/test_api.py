"""The API in-process (lifespan run by hand, httpx over ASGI): history reads and input checks."""

import time
from pathlib import Path

import httpx
import pytest

from cloud.api.app import create_app
from cloud.settings import CloudSettings
from tests.apiauth import bearer
from tests.integration.cloud.helpers import T0, telemetry

pytestmark = pytest.mark.integration


async def test_history_picks_resolution_and_bounds_points(tmp_path: Path) -> None:
    # Ingest off: this test writes the store directly, no broker needed.
    # Simulated time: one hour after T0, now.
    settings = CloudSettings(data_dir=tmp_path, ingest=False, clock=f"1,{T0 + 3_600_000},{time.time_ns() // 1_000_000}")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    admin = bearer(settings, "admin", everywhere=True)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t", headers=admin) as client,
    ):
        store = app.state.cloud.stores.telemetry
        store.write([telemetry("shed-a", seq, points=10) for seq in range(1, 201)])  # 200 s of readings
        store.maintain(T0 + 3_600_000)
        q = {"shed": "shed-a", "device": "post-1", "socket": 1, "field": "power_w"}
        # History is staff data: nobody without a login, and shed-a (outside the inventory) only for an
        # everywhere admin, not for an admin of community c1.
        anonymous = await client.get("/api/v1/history", params=q, headers={"Authorization": ""})
        assert anonymous.status_code == 401
        other = await client.get("/api/v1/history", params=q, headers=bearer(settings, "admin"))
        assert other.status_code == 403
        r = await client.get("/api/v1/history", params={**q, "start": T0, "end": T0 + 3_600_000})
        body = r.json()
        assert r.status_code == 200 and body["resolution"] == "raw" and len(body["points"]) == 200
        r = await client.get("/api/v1/history", params={**q, "start": T0, "end": T0 + 3_600_000, "max_points": 10})
        points = r.json()["points"]
        assert len(points) <= 10 and sum(p["count"] for p in points) == 200
        r = await client.get("/api/v1/history", params={**q, "start": T0, "end": T0 + 24 * 3_600_000})
        body = r.json()
        assert body["resolution"] == "minute"
        assert [p["count"] for p in body["points"]] == [59, 60, 60, 21]  # seq 1..200 at T0 + seq s
        # Defaults: the last hour by the process clock.
        assert abs((await client.get("/api/v1/history", params=q)).json()["start"] - T0) < 60_000
        assert (await client.get("/api/v1/history", params={**q, "field": "Bad-Field"})).status_code == 422
        assert (await client.get("/api/v1/history", params={**q, "start": 5, "end": 5})).status_code == 422
        health = (await client.get("/healthz")).json()
        assert (health["status"], health["ingest"], health["delivery"]) == ("ok", None, None)
        assert health["bus"]["follower_errors"] == 0


async def test_per_socket_live_state_follows_the_store_feed(tmp_path: Path) -> None:
    # Ingest off: the API follows the state store's event feed, as it does when workers run elsewhere.
    import asyncio

    from cloud.core.batch import Batch
    from protocol.uplink import SocketStatus
    from tests.apiauth import bearer
    from tests.integration.cloud.helpers import birth, status

    settings = CloudSettings(data_dir=tmp_path, ingest=False, live_poll_s=0.05)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    # Heard from, never imported: only a deployment-wide admin may read it.
    admin = bearer(settings, "admin", (), everywhere=True)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t", headers=admin) as client,
    ):
        path = "/api/v1/sheds/shed-a/sockets/post-1/2"
        assert (await client.get(path)).status_code == 404
        batch = Batch()
        batch.states.append((birth("shed-a", 0, {("post-1", n): SocketStatus.FREE for n in (1, 2)}), T0))
        batch.events.append((status("shed-a", 1, "post-1", 2, SocketStatus.CHARGING), T0))
        app.state.cloud.stores.state.write(batch)

        for _ in range(200):  # the feed follower polls every 0.05 s here: 10 s at most
            r = await client.get(path)
            if r.status_code == 200:
                break
            await asyncio.sleep(0.05)
        body = r.json()
        assert body == {
            "shed": "shed-a",
            "device": "post-1",
            "socket": 2,
            "status": "charging",
            "seq": 1,
            "ts": T0 + 1000,
            "edge_online": True,
            "stopped": False,
            "stopped_by": None,
            "stopped_ts": None,
        }
        assert (await client.get("/api/v1/sheds/shed-a/sockets/post-1/99")).status_code == 422
        assert (await client.get("/")).text.startswith("<!") or "<html" in (await client.get("/")).text


async def test_camera_links_of_a_shed_come_from_the_inventory(tmp_path: Path) -> None:
    from protocol.config import PostSpec, ShedConfig
    from protocol.shedfile import CameraLink
    from tests.apiauth import bearer

    settings = CloudSettings(data_dir=tmp_path, ingest=False)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    admin = bearer(settings, "admin", (), everywhere=True)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t", headers=admin) as client,
    ):
        assert (await client.get("/api/v1/sheds/shed-a/cameras")).status_code == 404  # not in the inventory
        config = ShedConfig(shed="shed-a", posts=[PostSpec(id="post-1")])
        cam = CameraLink(id="cam-1", name="door", url="https://cams.example/1", posts=["post-1"])
        app.state.cloud.stores.state.import_inventory(config, actor="t", now_ms=T0, cameras=[cam])
        got = (await client.get("/api/v1/sheds/shed-a/cameras")).json()
        assert got == [{"id": "cam-1", "name": "door", "url": "https://cams.example/1", "posts": ["post-1"]}]
        assert (await client.get("/api/v1/sheds/bad id/cameras")).status_code == 422


async def test_a_body_with_infinity_is_a_422_not_a_500(tmp_path: Path) -> None:
    # Python's JSON parser takes NaN / Infinity; strict JSON cannot echo them back, so the 422 itself failed.
    app = create_app(CloudSettings(data_dir=tmp_path, ingest=False))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for literal, echoed in (("Infinity", "inf"), ("-Infinity", "-inf"), ("NaN", "nan")):
            body = '{"qr": "shed-a-post-1-1", "limit_wh": ' + literal + "}"
            r = await client.post("/api/v1/sessions", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 422, r.text
            errors = r.json()["detail"]
            assert [e["loc"] for e in errors] == [["body", "limit_wh"]] and errors[0]["input"] == echoed


async def test_ids_and_times_beyond_64_bits_are_a_422_not_a_500(tmp_path: Path) -> None:
    # Found by schemathesis: SQLite integers are 64-bit; a larger query value overflowed in the driver.
    settings = CloudSettings(data_dir=tmp_path, ingest=False)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    admin = bearer(settings, "admin", everywhere=True)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t", headers=admin) as client,
    ):
        huge = str(2**80)
        assert (await client.get("/api/v1/audit", params={"before_id": huge})).status_code == 422
        q = {"shed": "shed-a", "device": "post-1", "field": "power_w"}
        assert (await client.get("/api/v1/history", params={**q, "start": "0", "end": huge})).status_code == 422
        assert (await client.get("/api/v1/audit", params={"before_id": str(2**63 - 1)})).status_code == 200
