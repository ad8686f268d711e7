"""The staff API's own queries and tables (config_docs, migration 0006) on PostgreSQL: community-scoped lists,
an incident with its alarms, an action, a configuration document and the audit log."""

from pathlib import Path

import pytest

from cloud.settings import CloudSettings
from tests.integration.api.staffapp import audit_log, running
from tests.integration.cloud.postgres import fresh_schema

pytestmark = pytest.mark.integration


async def test_staff_routes_on_postgresql(tmp_path: Path) -> None:
    with fresh_schema() as url:
        settings = CloudSettings(data_dir=tmp_path, ingest=False, state_url=url, alarm_tick_s=30)
        async with running(settings) as staff:
            c, op = staff.client, staff.auth("operator", "c2", user="op-2")
            assert (await c.get("/api/v1/alarms", headers=op)).json() == {"alarms": []}  # c1's alarm is not theirs
            op = staff.auth("operator", user="op-1")
            alarms = (await c.get("/api/v1/alarms?state=open&class=trouble", headers=op)).json()["alarms"]
            assert [a["id"] for a in alarms] == [staff.alarm_id]
            assert (await c.post(f"/api/v1/alarms/{staff.alarm_id}/acknowledge", headers=op)).json()["state"] == "acked"
            got = (await c.get(f"/api/v1/incidents/{staff.incident_id}", headers=op)).json()
            assert [a["id"] for a in got["alarm_list"]] == [staff.alarm_id]
            person = {"id": "guard-li", "targets": ["json://127.0.0.1:9/x"]}
            for version in (1, 2):
                r = await c.put("/api/v1/config/communities/c1/channels", json={"person": [person]}, headers=op)
                assert r.json()["version"] == version
            listed = (await c.get("/api/v1/sheds", headers=staff.auth("admin", everywhere=True))).json()["sheds"]
            assert [s["shed"] for s in listed] == ["shed-a", "shed-b"]
            assert ("op-1", "alarm.respond", f"alarm {staff.alarm_id}", "c1", "ok", "acknowledge") in audit_log(staff)
