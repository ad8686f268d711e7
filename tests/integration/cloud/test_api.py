"""The API in-process (lifespan run by hand, httpx over ASGI): history reads and input checks."""

import time
from pathlib import Path

import httpx
import pytest

from cloud.api.app import create_app
from cloud.settings import CloudSettings
from tests.integration.cloud.helpers import T0, telemetry

pytestmark = pytest.mark.integration


async def test_history_picks_resolution_and_bounds_points(tmp_path: Path) -> None:
    # Ingest off: this test writes the store directly, no broker needed.
    # Simulated time: one hour after T0, now.
    settings = CloudSettings(data_dir=tmp_path, ingest=False, clock=f"1,{T0 + 3_600_000},{time.time_ns() // 1_000_000}")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        store = app.state.cloud.stores.telemetry
        store.write([telemetry("shed-a", seq, points=10) for seq in range(1, 201)])  # 200 s of readings
        store.maintain(T0 + 3_600_000)
        q = {"shed": "shed-a", "device": "post-1", "socket": 1, "field": "power_w"}
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
        assert (await client.get("/healthz")).json() == {"status": "ok", "ingest": None, "delivery": None}
