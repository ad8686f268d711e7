"""The staff's live inventory and history: sheds of the caller's communities, each socket's live status with its
newest readings, devices, and downsampled series per socket and per shed device."""

import asyncio
from pathlib import Path

import pytest

from cloud.core.batch import Batch
from cloud.settings import CloudSettings
from cloud.telemetry.base import TelemetryStore
from protocol.uplink import SocketStatus, TelemetryBatch, TelemetryPoint
from tests.integration.api.staffapp import (
    Staff,
    running,
    staff_fixture,  # noqa: F401 - provides the staff fixture
)
from tests.integration.cloud.helpers import birth, operator, status

pytestmark = pytest.mark.integration


class _QueryOnly:
    """The real SQLite store seen through the TelemetryStore protocol only (as the InfluxDB store offers it)."""

    def __init__(self, store: TelemetryStore) -> None:
        self.query = store.query


def _readings(shed: str, seq: int, ts: int, device: str, socket: int | None, **fields: float) -> TelemetryBatch:
    return TelemetryBatch(src=shed, seq=seq, ts=ts, points=[TelemetryPoint(ts=ts, device=device, socket=socket,
                                                                           fields=fields)])  # fmt: skip


async def test_shed_detail_shows_live_status_readings_and_devices(staff: Staff) -> None:
    cloud, now = staff.cloud, staff.cloud.clock.now_ms()
    batch = Batch()
    sockets = {("post-1", n): SocketStatus.FREE for n in (1, 2, 3, 4)}
    batch.states.append((birth("shed-a", 0, sockets), now))
    batch.events.append((status("shed-a", 1, "post-1", 2, SocketStatus.CHARGING, ts=now - 1000), now))
    batch.events.append((status("shed-a", 2, "post-9", 1, SocketStatus.FAULTED, ts=now - 1000), now))
    cloud.stores.state.write(batch)
    cloud.stores.telemetry.write([
        _readings("shed-a", 3, now - 200_000, "post-1", 3, power_w=99.0, temp_c=30.0),  # too old to show
        _readings("shed-a", 4, now - 5_000, "post-1", 2, power_w=150.0, temp_c=31.0),
        _readings("shed-a", 5, now - 4_000, "post-1", 2, power_w=152.0, temp_c=31.5),
    ])  # fmt: skip
    h = staff.auth("security")
    r = await staff.client.post("/api/v1/sheds/shed-a/inspections", json={"device": "ext-1"}, headers=h)
    inspected = r.json()["ts"]
    for _ in range(100):  # the API follows the store's feed (ingest runs elsewhere): live_poll_s
        got = (await staff.client.get("/api/v1/sheds/shed-a", headers=h)).json()
        if got["edge_online"] and got["sockets"] == 5:
            break
        await asyncio.sleep(0.1)
    assert (got["shed"], got["community"], got["edge_online"], got["sockets"]) == ("shed-a", "c1", True, 5)
    post1, post9 = got["posts"]
    by_no = {s["socket"]: s for s in post1["sockets"]}
    assert (by_no[2]["status"], by_no[2]["power_w"], by_no[2]["temp_c"]) == ("charging", 152.0, 31.5)
    assert by_no[2]["reading_ts"] == now - 4_000 and by_no[2]["seq"] == 1
    assert (by_no[3]["status"], by_no[3]["power_w"], by_no[3]["reading_ts"]) == ("free", None, None)
    assert post9 == {"post": "post-9", "sockets": [{"socket": 1, "status": "faulted", "seq": 2, "ts": now - 1000,
                     "power_w": None, "temp_c": None, "reading_ts": None, "stopped": False, "stopped_by": None,
                     "stopped_ts": None}]}  # fmt: skip
    assert got["devices"] == [
        {"device": "env-1", "kind": "sensor", "last_inspection_ms": None},
        {"device": "ext-1", "kind": "extinguisher", "last_inspection_ms": inspected},
    ]
    # A store without the one-statement read (InfluxDB) answers the same through per-series queries.
    sqlite_store = cloud.stores.telemetry
    cloud.stores.telemetry = _QueryOnly(sqlite_store)  # type: ignore[assignment]
    assert cloud.shed_views is not None
    cloud.shed_views.forget("shed-a")  # else the kept view answers without reading the store
    try:
        again = (await staff.client.get("/api/v1/sheds/shed-a", headers=h)).json()
    finally:
        cloud.stores.telemetry = sqlite_store
    assert again["posts"] == got["posts"]
    listed = (await staff.client.get("/api/v1/sheds", headers=h)).json()["sheds"]
    assert [(s["shed"], s["edge_online"], s["sockets"]) for s in listed] == [("shed-a", True, 5)]


async def test_history_per_socket_and_per_shed_device(staff: Staff) -> None:
    cloud, now = staff.cloud, staff.cloud.clock.now_ms()
    start = now - 600_000
    cloud.stores.telemetry.write(
        [_readings("shed-a", i, start + i * 10_000, "post-1", 1, power_w=100.0 + i) for i in range(1, 31)]
        + [_readings("shed-a", 100 + i, start + i * 60_000, "env-1", None, temp_c=20.0 + i) for i in range(5)]
    )
    c, h = staff.client, staff.auth("installer")
    url = "/api/v1/sheds/shed-a/sockets/post-1/1/history"
    body = (await c.get(url, headers=h)).json()  # the last hour, raw
    assert (body["resolution"], body["field"], len(body["points"])) == ("raw", "power_w", 30)
    body = (await c.get(url, params={"from": start, "to": now, "max_points": 5}, headers=h)).json()
    assert len(body["points"]) <= 5 and sum(p["count"] for p in body["points"]) == 30
    assert body["points"][0]["min"] == 101.0 and body["points"][-1]["max"] == 130.0
    body = (await c.get(url, params={"from": now - 8 * 86_400_000, "to": now}, headers=h)).json()
    assert body["resolution"] == "hour"  # chosen for the range
    r = await c.get(url, params={"from": now - 2 * 86_400_000, "to": now, "resolution": "raw"}, headers=h)
    assert r.status_code == 422  # raw over two days: too many rows for one request
    assert (await c.get(url, params={"from": now, "to": now}, headers=h)).status_code == 422
    assert (await c.get(url, params={"field": "Power"}, headers=h)).status_code == 422
    shed = (
        await c.get("/api/v1/sheds/shed-a/history", params={"device": "env-1", "field": "temp_c"}, headers=h)
    ).json()
    assert [p["mean"] for p in shed["points"]] == [20.0, 21.0, 22.0, 23.0, 24.0] and shed["socket"] is None


async def test_a_stopped_socket_shows_who_stopped_it_and_when(staff: Staff) -> None:
    cloud, now = staff.cloud, staff.cloud.clock.now_ms()
    batch = Batch()
    batch.states.append((birth("shed-a", 0, {("post-1", n): SocketStatus.FREE for n in (1, 2)}), now))
    batch.events.append((operator("shed-a", 1, "post-1", 2, stop=True, actor="op-li"), now))
    cloud.stores.state.write(batch)
    h = staff.auth("security")
    for _ in range(100):  # the API follows the store's feed (ingest runs elsewhere): live_poll_s
        got = (await staff.client.get("/api/v1/sheds/shed-a", headers=h)).json()
        by_no = {s["socket"]: s for s in got["posts"][0]["sockets"]}
        if got["sockets"] == 2 and by_no[2]["stopped"]:
            break
        await asyncio.sleep(0.1)
    one, two = by_no[1], by_no[2]
    stop_at = operator("shed-a", 1, "post-1", 2, stop=True).ts
    assert (one["status"], one["stopped"], one["stopped_by"], one["stopped_ts"]) == ("free", False, None, None)
    assert (two["status"], two["stopped"], two["stopped_by"], two["stopped_ts"]) == ("free", True, "op-li", stop_at)
    live = (await staff.client.get("/api/v1/sheds/shed-a/sockets/post-1/2", headers=h)).json()
    assert (live["status"], live["stopped"], live["stopped_by"], live["stopped_ts"]) == ("free", True, "op-li", stop_at)


async def test_a_kept_shed_view_shows_changes_at_once_and_is_authorised_per_request(tmp_path: Path) -> None:
    """GET /api/v1/sheds/{shed} answers from a kept view (cloud.api.shed_views, kept up to a minute here): a socket
    status from the feed and an inspection recorded here show at once; each caller is still authorised against
    the shed's community."""
    settings = CloudSettings(data_dir=tmp_path, ingest=False, alarm_tick_s=30, shed_view_max_age_s=60)
    async with running(settings) as staff:
        cloud, now, h, c = staff.cloud, staff.cloud.clock.now_ms(), staff.auth("security"), staff.client
        assert cloud.shed_views is not None
        first = await c.get("/api/v1/sheds/shed-a", headers=h)
        builds = cloud.shed_views.builds
        assert (await c.get("/api/v1/sheds/shed-a", headers=h)).content == first.content
        assert cloud.shed_views.builds == builds  # answered from the kept view
        # The kept view answers nobody it would not answer built afresh.
        assert (await c.get("/api/v1/sheds/shed-a", headers=staff.auth("security", "c2"))).status_code == 403
        assert (await c.get("/api/v1/sheds/shed-a", headers=staff.auth("resident"))).status_code == 403
        assert (await c.get("/api/v1/sheds/shed-a")).status_code == 401
        assert (await c.get("/api/v1/sheds/shed-z", headers=staff.auth("admin", everywhere=True))).status_code == 404
        assert (await c.get("/api/v1/sheds/shed-z", headers=h)).status_code == 403
        r = await c.post("/api/v1/sheds/shed-a/inspections", json={"device": "ext-1"}, headers=h)
        got = (await c.get("/api/v1/sheds/shed-a", headers=h)).json()
        assert got["devices"][1] == {"device": "ext-1", "kind": "extinguisher", "last_inspection_ms": r.json()["ts"]}
        batch = Batch()
        batch.states.append((birth("shed-a", 0, {("post-1", 1): SocketStatus.FREE}), now))
        batch.events.append((status("shed-a", 1, "post-1", 1, SocketStatus.CHARGING, ts=now), now))
        cloud.stores.state.write(batch)
        for _ in range(100):  # until the follower (every live_poll_s) applied the feed to this process's state
            live = cloud.live.shed("shed-a")
            if live is not None and live.sockets[("post-1", 1)].status == SocketStatus.CHARGING:
                break
            await asyncio.sleep(0.1)
        got = (await c.get("/api/v1/sheds/shed-a", headers=h)).json()
        assert (got["edge_online"], got["posts"][0]["sockets"][0]["status"]) == (True, "charging")
