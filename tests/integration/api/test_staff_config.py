"""Configuration through the staff API: community settings, rota and alert channels stored as versioned documents
that the alarm service uses at once (and another process within inventory_refresh_s, and after a restart);
inventory import with the CLI's validation; thresholds as a new config version."""

import asyncio
from pathlib import Path

import httpx
import pytest

from cloud.api.app import create_app
from cloud.settings import CloudSettings
from tests.apiauth import bearer
from tests.integration.api.staffapp import (
    Staff,
    audit_log,
    staff_fixture,  # noqa: F401 - provides the staff fixture
)

pytestmark = pytest.mark.integration
GUARD = {"id": "guard-li", "name": "Li", "targets": ["json://127.0.0.1:9/hook"]}
NIGHT = {"role": "guard", "person": "guard-li", "start": "20:00", "end": "08:00"}


async def test_rota_and_channels_reach_the_alarm_service(staff: Staff) -> None:
    c, op = staff.client, staff.auth("operator", user="op-1")
    base = "/api/v1/config/communities/c1"
    r = await c.put(f"{base}/rota", json={"shift": [NIGHT]}, headers=op)
    assert (r.status_code, r.json()["detail"]) == (422, "shift names unknown person 'guard-li'")
    r = await c.put(f"{base}/channels", json={"person": [GUARD]}, headers=op)
    assert (r.status_code, r.json()["version"], r.json()["person"][0]["targets"]) == (200, 1, GUARD["targets"])
    r = await c.put(f"{base}/rota", json={"shift": [{**NIGHT, "role": "cook"}]}, headers=op)
    assert r.status_code == 422 and "not in the chain" in r.json()["detail"]
    r = await c.put(f"{base}/rota", json={"chain": ["guard", "shift_leader"], "shift": [NIGHT]}, headers=op)
    assert (r.status_code, r.json()["version"], r.json()["chain"]) == (200, 1, ["guard", "shift_leader"])
    assert (await c.get(f"{base}/rota", headers=op)).json()["shift"][0]["start"] == "20:00"  # HH:MM, as docs say

    assert staff.cloud.alarms is not None
    config = staff.cloud.alarms.service.config
    assert [s.person for s in config.community_of("c1").shift] == ["guard-li"]
    assert config.people()["guard-li"].targets == GUARD["targets"]
    assert config.community_of("c2").shift == []  # another community keeps the file's (none)

    # Dropping a person a shift still names, or defining one another community defines, is refused.
    r = await c.put(f"{base}/channels", json={"person": []}, headers=op)
    assert (r.status_code, r.json()["detail"]) == (422, "shift names unknown person 'guard-li'")
    r = await c.put(
        "/api/v1/config/communities/c2/channels", json={"person": [GUARD]}, headers=staff.auth("admin", "c2")
    )
    assert r.status_code == 422 and "already defined by community 'c1'" in r.json()["detail"]
    assert (await c.put(f"{base}/channels", json={"person": [GUARD, GUARD]}, headers=op)).status_code == 422
    log = audit_log(staff)
    assert ("op-1", "config.channels", "c1", "c1", "ok", "people: guard-li") in log
    assert not any("json://" in e[5] for e in log)  # targets carry secrets: never in the audit


async def test_community_settings_keep_the_rota_and_survive_a_restart(tmp_path: Path) -> None:
    toml = tmp_path / "alarms.toml"
    toml.write_text(
        '[[person]]\nid = "boss"\n[[community]]\nname = "default"\nack_s = 300\n'
        '[[community.shift]]\nrole = "property_manager"\nperson = "boss"\n'
    )
    settings = CloudSettings(data_dir=tmp_path / "d", ingest=False, alarm_config=toml, alarm_tick_s=1)
    admin = bearer(settings, "admin", ("c1",), user_id="pm-1")
    for run in (1, 2):
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            url = "/api/v1/config/communities/c1"
            if run == 1:
                got = (await c.get(url, headers=admin)).json()
                assert (got["version"], got["ack_s"], got["name"]) == (0, 300, "")  # the file's default
                r = await c.put(url, json={"name": "Jinsong North", "ack_s": 120, "tz": "Asia/Urumqi"}, headers=admin)
                assert r.status_code == 200, r.text
                assert (await c.put(url, json={"tz": "Mars/Olympus"}, headers=admin)).status_code == 422
                assert (await c.put(url, json={"ack_s": 0}, headers=admin)).status_code == 422
            got = (await c.get(url, headers=admin)).json()
            assert (got["version"], got["name"], got["ack_s"], got["tz"]) == (1, "Jinsong North", 120, "Asia/Urumqi")
            community = app.state.cloud.alarms.service.config.community_of("c1")
            assert (community.ack_s, [s.person for s in community.shift]) == (120, ["boss"])  # the rota it had


async def test_another_process_takes_saved_documents(tmp_path: Path) -> None:
    settings = CloudSettings(data_dir=tmp_path, ingest=False, inventory_refresh_s=0.2)
    one, two = create_app(settings), create_app(settings)
    async with one.router.lifespan_context(one), two.router.lifespan_context(two):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=one), base_url="http://t")
        h = bearer(settings, "operator", ("c1",))
        assert (
            await client.put("/api/v1/config/communities/c1/channels", json={"person": [GUARD]}, headers=h)
        ).status_code == 200
        await client.aclose()
        service = two.state.cloud.alarms.service
        for _ in range(100):
            if "guard-li" in service.config.people():
                break
            await asyncio.sleep(0.1)
        assert service.config.people()["guard-li"].targets == GUARD["targets"]


async def test_inventory_import_and_thresholds(staff: Staff) -> None:
    c, inst = staff.client, staff.auth("installer", user="fitter-wu")
    shed = {"shed": "shed-c", "community": "c1", "name": "North gate", "posts": [{"id": "post-1", "sockets": 10}],
            "extinguishers": ["ext-1"]}  # fmt: skip
    cams = [{"id": "cam-1", "url": "rtsp://cam-1.local/stream", "posts": ["post-1"]}]
    r = await c.post("/api/v1/config/inventory", json={"shed": shed, "cameras": cams}, headers=inst)
    assert r.json() == {"shed": "shed-c", "community": "c1", "version": 1, "cameras": 1}
    r = await c.post("/api/v1/config/inventory", json={"shed": shed, "cameras": cams}, headers=inst)
    assert r.json()["version"] == 1  # unchanged content keeps its version
    # The CLI's validation: strict types, known posts for cameras, no [agent] table.
    r = await c.post("/api/v1/config/inventory", json={"shed": {**shed, "posts": [{"id": "post-1", "sockets": "10"}]}},
                     headers=inst)  # fmt: skip
    assert r.status_code == 422 and "posts.0.sockets" in r.json()["detail"]
    bad_cam = [{**cams[0], "posts": ["post-9"]}]
    r = await c.post("/api/v1/config/inventory", json={"shed": shed, "cameras": bad_cam}, headers=inst)
    assert r.status_code == 422 and "unknown posts" in r.json()["detail"]
    r = await c.post("/api/v1/config/inventory", json={"shed": shed, "agent": {"cloud_broker": "x"}}, headers=inst)
    assert r.status_code == 422
    # Moving a shed needs the right in both communities.
    moved = {"shed": {**shed, "community": "c2"}}
    assert (
        await c.post("/api/v1/config/inventory", json=moved, headers=staff.auth("installer", "c2"))
    ).status_code == 403
    r = await c.post("/api/v1/config/inventory", json=moved, headers=staff.auth("installer", "c1", "c2"))
    assert (r.status_code, r.json()["version"]) == (200, 2)
    listed = (await c.get("/api/v1/sheds", headers=staff.auth("operator", "c2"))).json()["sheds"]
    assert [s["shed"] for s in listed] == ["shed-b", "shed-c"]

    url = "/api/v1/config/sheds/shed-a"
    limits = {"over_power_w": 800.0, "post_limit_w": 7000.0, "post_soft_limit_w": 6500.0}
    r = await c.put(f"{url}/thresholds", json=limits, headers=inst)
    assert (r.status_code, r.json()["version"]) == (200, 2), r.text
    held = (await c.get(url, headers=staff.auth("security"))).json()
    assert (held["config"]["version"], held["config"]["thresholds"]["over_power_w"]) == (2, 800.0)
    assert held["config"]["posts"] == [{"id": "post-1", "sockets": 4}]  # the rest of the config is kept
    r = await c.put(f"{url}/thresholds", json={"post_soft_limit_w": 9000.0}, headers=inst)
    assert r.status_code == 422 and "post_soft_limit_w must not exceed post_limit_w" in r.text
    assert (await c.put(f"{url}/thresholds", json={"over_power_w": -1}, headers=inst)).status_code == 422
    assert (await c.put(f"{url}/thresholds", json={"no_such": 1}, headers=inst)).status_code == 422
    assert (await c.get("/api/v1/config/sheds/shed-z", headers=staff.auth("admin", everywhere=True))).status_code == 404
    assert ("fitter-wu", "config.thresholds", "shed-a", "c1", "ok", '{"over_power_w":800.0,"post_limit_w":7000.0,'
            '"post_soft_limit_w":6500.0}') in audit_log(staff)  # fmt: skip
