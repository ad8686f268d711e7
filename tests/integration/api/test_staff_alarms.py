"""Alarms, incidents and inspections through the staff API: the lifecycle's answers, the audit trail, the
timeline and clocks, the filters, and the audit log of every change (refusals included)."""

from pathlib import Path

import httpx
import pytest

from cloud.alarms.repo import AlarmRepo
from cloud.api.app import create_app
from cloud.auth.accounts import User
from cloud.core.access.roles import Role
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.settings import CloudSettings
from cloud.state import account_rows
from protocol.clock import ManualClock
from protocol.uplink import AlarmClass
from tests.apiauth import bearer
from tests.integration.api.staffapp import (
    Staff,
    audit_log,
    raise_alarm,
    seed_shed,
    staff_fixture,  # noqa: F401 - provides the staff fixture
)

pytestmark = pytest.mark.integration


async def test_alarm_actions_follow_the_lifecycle_and_are_audited(staff: Staff) -> None:
    c, url = staff.client, f"/api/v1/alarms/{staff.alarm_id}"
    op = staff.auth("operator", user="op-1")
    r = await c.post(f"{url}/silence", headers=op)
    assert r.status_code == 200 and r.json()["silenced"] and r.json()["state"] == "unack"
    r = await c.post(f"{url}/shelve", json={"duration_s": 60, "reason": "sensor swap"}, headers=op)
    body = r.json()
    assert r.status_code == 200 and body["shelved_by"] == "op-1"
    assert body["shelved_until_ms"] - staff.cloud.clock.now_ms() in range(50_000, 60_001)
    assert (await c.post(f"{url}/unshelve", headers=op)).json()["shelved_until_ms"] is None
    r = await c.post(f"{url}/unshelve", headers=op)
    assert (r.status_code, r.json()["detail"]) == (409, "not shelved")
    r = await c.post(f"{url}/shelve", json={"duration_s": 8 * 3600 + 1, "reason": "x"}, headers=op)
    assert r.status_code == 422  # ISA-18.2: every shelve is time-limited (8 h, one shift)
    assert (await c.post(f"{url}/shelve", json={"duration_s": 60, "reason": ""}, headers=op)).status_code == 422
    assert (await c.post(f"{url}/assign", json={"assignee": "guard-li"}, headers=op)).json()["assignee"] == "guard-li"
    assert (await c.post(f"{url}/comment", json={"text": "   "}, headers=op)).status_code == 409
    assert (await c.post(f"{url}/comment", json={"text": "gas meter replaced"}, headers=op)).status_code == 200
    r = await c.post(f"{url}/acknowledge", headers=staff.auth("security", user="guard-li"))
    assert (r.json()["state"], r.json()["acked_by"]) == ("acked", "guard-li")
    r = await c.post(f"{url}/acknowledge", headers=op)
    assert (r.status_code, r.json()["detail"]) == (409, "already acknowledged")
    admin = staff.auth("admin", everywhere=True)
    r = await c.post("/api/v1/alarms/999/acknowledge", headers=admin)
    assert (r.status_code, r.json()["detail"]) == (404, "no alarm 999")
    r = await c.get("/api/v1/incidents/inc-none", headers=admin)
    assert (r.status_code, r.json()["detail"]) == (404, "no incident inc-none")

    detail = (await c.get(url, headers=staff.auth("installer"))).json()
    trail = [(a["action"], a["actor"]) for a in detail["audit"]]
    assert trail == [
        ("raised", None),
        ("silenced", "op-1"),
        ("shelved", "op-1"),
        ("unshelved", "op-1"),
        ("assigned", "op-1"),
        ("commented", "op-1"),
        ("acknowledged", "guard-li"),
    ]
    assert all(a["device"].startswith("api:") for a in detail["audit"][1:])

    # Fire is never shelved (409 with the lifecycle's reason); security may not shelve at all (403, audited).
    fire_id, _ = raise_alarm(staff.cloud, AlarmKey("shed-a", "", 0, "heat"), AlarmClass.FIRE, "57 degC")
    r = await c.post(f"/api/v1/alarms/{fire_id}/shelve", json={"duration_s": 60, "reason": "x"}, headers=op)
    assert (r.status_code, r.json()["detail"]) == (409, "fire alarms can never be shelved")
    sec = staff.auth("security", user="guard-li")
    assert (
        await c.post(f"/api/v1/alarms/{fire_id}/shelve", json={"duration_s": 60, "reason": "x"}, headers=sec)
    ).status_code == 403
    log = audit_log(staff)
    assert ("op-1", "alarm.shelve", f"alarm {staff.alarm_id}", "c1", "ok", "shelve 60 s: sensor swap") in log
    assert (
        "op-1",
        "alarm.respond",
        f"alarm {staff.alarm_id}",
        "c1",
        "failed",
        "acknowledge: already acknowledged",
    ) in log
    assert (
        "op-1",
        "alarm.shelve",
        f"alarm {fire_id}",
        "c1",
        "failed",
        "shelve 60 s: x: fire alarms can never be shelved",
    ) in log
    refused = [e for e in log if e[4] == "refused"]
    assert refused == [
        ("guard-li", "alarm.shelve", f"alarm {fire_id}", "c1", "refused", "role security may not alarm.shelve")
    ]
    # docs/api.md: an id the cloud does not know is 403 to the community's staff (404 only to a deployment-wide admin)
    r = await c.post("/api/v1/alarms/999/acknowledge", headers=op)
    assert (r.status_code, r.json()["detail"]) == (403, "outside the user's communities")
    assert (await c.get("/api/v1/incidents/inc-none", headers=op)).status_code == 403


async def test_alarm_list_filters(staff: Staff) -> None:
    fire_id, _ = raise_alarm(staff.cloud, AlarmKey("shed-a", "", 0, "heat"), AlarmClass.FIRE, "57 degC")
    c, h = staff.client, staff.auth("security")
    ids = lambda r: [a["id"] for a in r.json()["alarms"]]  # noqa: E731
    assert ids(await c.get("/api/v1/alarms", headers=h)) == [fire_id, staff.alarm_id]  # newest change first
    assert ids(await c.get("/api/v1/alarms?class=fire", headers=h)) == [fire_id]
    assert {a["origin"] for a in (await c.get("/api/v1/alarms", headers=h)).json()["alarms"]} == {"edge"}
    assert ids(await c.get("/api/v1/alarms?class=trouble&shed=shed-a", headers=h)) == [staff.alarm_id]
    await c.post(f"/api/v1/alarms/{staff.alarm_id}/acknowledge", headers=h)
    assert ids(await c.get("/api/v1/alarms?state=acked", headers=h)) == [staff.alarm_id]
    assert ids(await c.get("/api/v1/alarms?state=open&limit=1", headers=h)) == [staff.alarm_id]
    future = staff.cloud.clock.now_ms() + 60_000
    assert ids(await c.get(f"/api/v1/alarms?since={future}", headers=h)) == []
    assert (await c.get("/api/v1/alarms?state=bogus", headers=h)).status_code == 422
    assert (await c.get("/api/v1/alarms?shed=shed-b", headers=h)).status_code == 403


async def test_incident_actions_timeline_and_clocks(staff: Staff) -> None:
    c, url = staff.client, f"/api/v1/incidents/{staff.incident_id}"
    sec, op = staff.auth("security", user="guard-li"), staff.auth("operator", user="op-1")
    assert (await c.post(f"{url}/assign", json={"assignee": "guard-li"}, headers=op)).status_code == 200
    assert (await c.post(f"{url}/assign", json={"assignee": "guard-li"}, headers=op)).status_code == 200  # again
    r = await c.post(f"{url}/acknowledge", headers=sec)
    assert (r.status_code, r.json()["acked_by"]) == (200, "guard-li")
    assert (await c.post(f"{url}/acknowledge", headers=op)).json()["detail"] == "already acknowledged by guard-li"
    assert (await c.post(f"{url}/comment", json={"text": "smell of gas, door open"}, headers=sec)).status_code == 200
    r = await c.post(f"{url}/on-site", headers=sec)
    assert (r.status_code, r.json()["onsite_by"]) == (200, "guard-li")
    r = await c.post(f"{url}/resolve", json={"classification": "device_fault", "note": "CO cell aged"}, headers=sec)
    assert (r.json()["open"], r.json()["resolution"]) == (False, "device_fault")
    assert (await c.post(f"{url}/resolve", json={"classification": "real"}, headers=sec)).status_code == 409
    assert (await c.post(f"{url}/resolve", json={"classification": "maybe"}, headers=sec)).status_code == 422
    assert (await c.post(f"{url}/assign", json={"assignee": "x"}, headers=op)).json()["detail"] == "incident resolved"

    got = (await c.get(url, headers=op)).json()
    kinds = [(e["kind"], e["actor"]) for e in got["timeline"]]
    assert kinds.count(("assigned", "op-1")) == 1  # the same person assigned again writes nothing twice
    for line in (("assigned", "op-1"), ("acknowledged", "guard-li"), ("comment", "guard-li"), ("on_site", "guard-li"),
                 ("resolved", "guard-li")):  # fmt: skip
        assert line in kinds, kinds
    assert kinds[0] == ("first_signal", None)
    clocks = got["clocks"]
    assert (clocks["ack_kept"], clocks["onsite_kept"]) == (True, True)
    assert clocks["ack_due_ms"] == got["opened_ms"] + 180_000 and clocks["onsite_due_ms"] == got["opened_ms"] + 600_000
    assert [a["id"] for a in got["alarm_list"]] == [staff.alarm_id]
    assert got["alarm_list"][0]["assignee"] == "guard-li" and got["alarm_list"][0]["state"] == "acked"
    trail = (await c.get(f"/api/v1/alarms/{staff.alarm_id}", headers=op)).json()["audit"]
    assert [a["action"] for a in trail].count("assigned") == 1
    listed = (await c.get("/api/v1/incidents?open=true", headers=op)).json()["incidents"]
    assert listed == []
    assert (await c.get(f"/api/v1/incidents?shed=shed-a&since={got['opened_ms']}", headers=op)).json()["incidents"]


async def test_an_incident_resolved_before_acceptance_has_its_clocks_ended_not_broken(staff: Staff) -> None:
    c, url = staff.client, f"/api/v1/incidents/{staff.incident_id}"
    sec = staff.auth("security", user="guard-li")
    r = await c.post(f"{url}/resolve", json={"classification": "false", "note": "dust"}, headers=sec)
    assert r.status_code == 200
    # An hour later, long past both deadlines: the resolution ended both clocks, neither kept nor broken.
    staff.cloud.clock = ManualClock(staff.cloud.clock.now_ms() + 3_600_000)
    clocks = (await c.get(url, headers=sec)).json()["clocks"]
    assert (clocks["ack_state"], clocks["onsite_state"]) == ("resolved", "resolved")
    assert (clocks["ack_kept"], clocks["onsite_kept"], clocks["ack_s"]) == (None, None, None)


async def test_incident_answers_name_people_as_they_are_known(staff: Staff) -> None:
    with staff.cloud.stores.state.engine.begin() as conn:  # the guard's account, with the name colleagues know
        account_rows.insert(conn, User("u-3f9c", "li.wei", "Li Wei", Role.SECURITY, frozenset({"c1"}), False, False, 0))
    c, url = staff.client, f"/api/v1/incidents/{staff.incident_id}"
    r = await c.post(f"{url}/acknowledge", headers=staff.auth("security", user="u-3f9c"))
    assert (r.json()["acked_by"], r.json()["acked_by_name"]) == ("u-3f9c", "Li Wei")  # the id field keeps the id
    r = await c.post(f"{url}/acknowledge", headers=staff.auth("operator", user="op-1"))
    assert (r.status_code, r.json()["detail"]) == (409, "already acknowledged by Li Wei")
    r = await c.post(f"{url}/on-site", headers=staff.auth("operator", user="op-1"))  # no account: the id stands
    assert (r.json()["onsite_by"], r.json()["onsite_by_name"]) == ("op-1", "op-1")
    timeline = (await c.get(url, headers=staff.auth("operator"))).json()["timeline"]
    [accepted] = [e for e in timeline if e["kind"] == "acknowledged"]
    assert (accepted["actor"], accepted["actor_name"]) == ("u-3f9c", "Li Wei")  # the id kept beside the name


async def test_inspections_are_recorded_and_listed(staff: Staff) -> None:
    c, url = staff.client, "/api/v1/sheds/shed-a/inspections"
    inst = staff.auth("installer", user="fitter-wu")
    r = await c.post(url, json={"device": "ext-1", "note": "gauge green"}, headers=inst)
    assert r.status_code == 201
    assert {k: r.json()[k] for k in ("shed", "device", "actor", "note")} == {
        "shed": "shed-a", "device": "ext-1", "actor": "fitter-wu", "note": "gauge green"}  # fmt: skip
    assert (await c.post(url, json={"device": "env-1"}, headers=inst)).status_code == 404  # a sensor, not one
    assert (await c.post(url, json={"device": "ext-9"}, headers=inst)).status_code == 404
    assert (await c.post(url, json={"device": "bad id"}, headers=inst)).status_code == 422
    listed = (await c.get(url, headers=staff.auth("operator"))).json()["inspections"]
    assert listed[0]["id"] == r.json()["id"] and listed[0]["actor"] == "fitter-wu"
    assert ("fitter-wu", "inspection.record", "shed-a/ext-1", "c1", "ok", "inspected: gauge green") in audit_log(staff)
    # No note, refused: the reason after "inspected", without an empty note's dangling colon.
    assert (await c.post(url, json={"device": "ext-9"}, headers=inst)).status_code == 404
    refused = [e for e in audit_log(staff) if e[4] == "failed" and e[2] == "shed-a/ext-9"]
    assert refused and refused[-1][5] == "inspected: shed shed-a has no extinguisher ext-9", refused


async def test_actions_need_the_alarm_service_in_the_process_reads_do_not(tmp_path: Path) -> None:
    settings = CloudSettings(data_dir=tmp_path, ingest=False, alarms=False)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        cloud = app.state.cloud
        seed_shed(cloud, "shed-a", "c1")
        alarm = Alarm(AlarmKey("shed-a", "env-1", 0, "gas_co"), AlarmClass.TROUBLE, Lifecycle.UNACK, raised_ms=1)
        with cloud.stores.state.engine.begin() as conn:
            AlarmRepo(conn, sqlite=True).save_alarm(alarm, None, 1)
        h = bearer(settings, "operator", ("c1",))
        assert [a["key"] for a in (await c.get("/api/v1/alarms", headers=h)).json()["alarms"]] == [str(alarm.key)]
        r = await c.post("/api/v1/alarms/1/acknowledge", headers=h)
        assert (r.status_code, r.json()["detail"]) == (503, "the alarm service is off in this process")
