"""GET /api/v1/availability: filters, no personal data, and the free-socket ETA of a full shed computed from
the live state, the telemetry store's power curve and energy, as cloud.core.eta would from the same inputs."""

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cloud.api.app import create_app
from cloud.core.batch import Batch
from cloud.core.eta.estimate import SocketObservation, estimate
from cloud.core.eta.history import EtaHistory
from cloud.settings import CloudSettings
from protocol.config import PostSpec, ShedConfig
from protocol.uplink import SocketStatus, TelemetryBatch, TelemetryPoint
from tests.integration.cloud.helpers import T0, birth, operator, status

pytestmark = pytest.mark.integration
MIN = 60_000
NOW = T0 + 120 * MIN
FIELDS = {
    "shed",
    "community",
    "free",
    "charging",
    "plugged",
    "full",
    "faulted",
    "stopped",
    "total",
    "updated_ts",
    "edge_online",
    "next_free_s",
    "eta_ts",
}


def curve() -> list[tuple[int, float, float]]:
    """(ts, W, Wh counter) each minute of a charge: 30 min at 200 W, then a taper with tau = 20 min."""
    out, energy = [], 1000.0
    for m in range(1, 91):
        power = 200.0 if m <= 30 else 190.0 * math.exp(-(m - 30) / 20)
        energy += power / 60
        out.append((T0 + 1000 + m * MIN, power, energy))
    return out


async def wait_for(client: httpx.AsyncClient, probe: object, params: dict[str, str]) -> dict[str, object]:
    for _ in range(200):
        body = (await client.get("/api/v1/availability", params=params)).json()
        if body["sheds"] and probe(body["sheds"][0]):  # type: ignore[operator]
            return body["sheds"][0]  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"availability never matched; last: {body}")


@contextlib.asynccontextmanager
async def served(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app (no ingest: the test writes the store) on a simulated clock at NOW, and a client over ASGI."""
    clock = f"1,{NOW},{time.time_ns() // 1_000_000}"
    settings = CloudSettings(data_dir=tmp_path, ingest=False, alarms=False, live_poll_s=0.05, clock=clock)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield app, client


async def test_a_full_shed_gets_an_eta_and_filters_apply(tmp_path: Path) -> None:
    async with served(tmp_path) as (app, client):
        cloud = app.state.cloud
        cloud.stores.state.import_inventory(
            ShedConfig(shed="shed-a", community="c1", posts=[PostSpec(id="post-1", sockets=3)]), actor="t", now_ms=T0
        )
        cloud.live.set_communities(cloud.stores.state.communities())
        samples = curve()
        cloud.stores.telemetry.write(
            [
                TelemetryBatch(
                    src="shed-a",
                    seq=100 + i,
                    ts=ts,
                    points=[TelemetryPoint(ts=ts, device="post-1", socket=3, fields={"power_w": w, "energy_wh": e})],
                )
                for i, (ts, w, e) in enumerate(samples)
            ]
        )
        batch = Batch()
        snapshot = {("post-1", 1): SocketStatus.FULL, ("post-1", 2): SocketStatus.FAULTED}
        batch.states.append((birth("shed-a", 0, {**snapshot, ("post-1", 3): SocketStatus.PLUGGED}), T0))
        batch.events.append((status("shed-a", 1, "post-1", 3, SocketStatus.CHARGING), T0))
        cloud.stores.state.write(batch)
        got = await wait_for(client, lambda s: s["charging"] == 1 and s["eta_ts"] is not None, {"shed": "shed-a"})
        assert set(got) == FIELDS  # counts and the ETA only: nothing about who is charging

        expected = estimate(
            [
                SocketObservation("post-1/1", SocketStatus.FULL, T0),
                SocketObservation("post-1/2", SocketStatus.FAULTED, T0),
                SocketObservation(
                    "post-1/3",
                    SocketStatus.CHARGING,
                    T0 + 1000,
                    tuple((ts, w) for ts, w, _ in samples),
                    samples[-1][2] - samples[0][2],
                ),
            ],
            EtaHistory(),
            got["eta_ts"],  # type: ignore[arg-type]
        )
        assert expected.sockets[2].method == "taper" and expected.next_free_s is not None
        assert got["next_free_s"] == round(expected.next_free_s) and abs(got["eta_ts"] - NOW) < 60_000  # type: ignore[operator]
        assert (got["free"], got["full"], got["faulted"], got["community"]) == (0, 1, 1, "c1")

        assert [s["shed"] for s in (await client.get("/api/v1/availability?community=c1")).json()["sheds"]] == [
            "shed-a"
        ]
        assert (await client.get("/api/v1/availability?community=c2")).json() == {"sheds": []}
        assert (await client.get("/api/v1/availability?shed=shed-b")).json() == {"sheds": []}
        assert (await client.get("/api/v1/availability?shed=bad id")).status_code == 422

        batch = Batch()
        batch.events.append((status("shed-a", 2, "post-1", 1, SocketStatus.FREE), T0))
        cloud.stores.state.write(batch)
        got = await wait_for(client, lambda s: s["free"] == 1, {})
        assert (got["next_free_s"], got["eta_ts"]) == (0.0, None)


async def test_a_stopped_socket_is_counted_stopped_never_free_and_never_expected_to_free(tmp_path: Path) -> None:
    async with served(tmp_path) as (app, client):
        store = app.state.cloud.stores.state
        batch = Batch()
        sockets = {("post-1", 1): SocketStatus.FREE, ("post-1", 2): SocketStatus.FAULTED}
        batch.states.append((birth("shed-a", 0, sockets), T0))
        store.write(batch)
        got = await wait_for(client, lambda s: s["total"] == 2, {})
        assert (got["free"], got["stopped"], got["next_free_s"]) == (1, 0, 0.0)

        batch = Batch()
        batch.events.append((operator("shed-a", 1, "post-1", 1, stop=True), T0))
        store.write(batch)
        # The only free socket is stopped: none is free, and none is expected to free (the other is faulted).
        got = await wait_for(client, lambda s: s["stopped"] == 1 and s["eta_ts"] is not None, {})
        assert (got["free"], got["faulted"], got["stopped"], got["total"], got["next_free_s"]) == (0, 1, 1, 2, None)

        batch = Batch()
        batch.events.append((operator("shed-a", 2, "post-1", 1, stop=False), T0))
        store.write(batch)
        got = await wait_for(client, lambda s: s["stopped"] == 0, {})
        assert (got["free"], got["next_free_s"], got["eta_ts"]) == (1, 0.0, None)


async def test_an_unchanged_availability_is_304_to_a_poller_that_sends_its_etag(tmp_path: Path) -> None:
    settings = CloudSettings(data_dir=tmp_path, ingest=False, alarms=False, live_poll_s=0.05)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        cloud = app.state.cloud
        batch = Batch()
        batch.states.append((birth("shed-a", 0, {("post-1", 1): SocketStatus.FREE}), T0))
        cloud.stores.state.write(batch)
        await wait_for(client, lambda s: s["free"] == 1, {})
        first = await client.get("/api/v1/availability")
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "public, max-age=1" and etag.startswith('"')
        for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = await client.get("/api/v1/availability", headers={"If-None-Match": sent})
            assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag), sent
        other = await client.get("/api/v1/availability", headers={"If-None-Match": '"other"'})
        assert (other.status_code, other.content) == (200, first.content)
        filtered = await client.get("/api/v1/availability?shed=shed-b", headers={"If-None-Match": etag})
        assert filtered.status_code == 200 and filtered.headers["etag"] != etag  # another body, another tag
        batch = Batch()
        batch.events.append((status("shed-a", 1, "post-1", 1, SocketStatus.CHARGING), T0))
        cloud.stores.state.write(batch)
        await wait_for(client, lambda s: s["charging"] == 1, {})
        moved = await client.get("/api/v1/availability", headers={"If-None-Match": etag})
        assert moved.status_code == 200 and moved.headers["etag"] != etag and moved.json()["sheds"][0]["charging"] == 1
