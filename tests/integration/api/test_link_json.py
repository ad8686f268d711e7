"""A signed alert link in JSON (for the phone view, where the guard has no login) and the incident list's clocks:
the one incident the token names with its shed, alarms, what the edge did, cameras and clocks on the cloud's
clock, and the action the link allows; HTML stays what a browser or a chat app's preview gets."""

from typing import Any

import orjson
import pytest
from sqlalchemy import insert

from cloud.api.accept import wants_json
from cloud.core.alarms.model import AlarmKey
from cloud.state.schema import events
from protocol.uplink import AlarmClass
from tests.integration.api.staffapp import (
    Staff,
    raise_alarm,
    staff_fixture,  # noqa: F401 - provides the staff fixture
)

pytestmark = pytest.mark.integration
JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _cut(staff: Staff, seq: int, reason: str, where: dict[str, Any]) -> int:
    """The edge's InterlockAction (a trip for ``reason``: its scope, device and socket in ``where``) in shed-a,
    stored as ingest stores it; its time."""
    now = staff.cloud.clock.now_ms()
    body = {"type": "interlock", "src": "shed-a", "seq": seq, "ts": now, "action": "cut", **where,
            "reason": reason, "latched": True}  # fmt: skip
    with staff.cloud.stores.state.engine.begin() as conn:
        row = {"src": "shed-a", "seq": seq, "ts": now, "type": "interlock", "device": where.get("device"),
               "socket": where.get("socket")}  # fmt: skip
        conn.execute(insert(events).values(**row, body=orjson.dumps(body).decode(), received_ms=now))
    return now


def _path(url: str) -> str:
    return url[url.index("/api/v1/") :]


async def test_the_link_in_json_is_its_one_incident_with_clocks_edge_and_what_it_allows(staff: Staff) -> None:
    runner = staff.cloud.alarms
    assert runner is not None
    # The shed's edge cut twice: for the incident's own alarm (gas_co), and for a thermal runaway that is no alarm
    # of this incident (it would be another's): only the first is what the edge did for this one.
    cut_ms = _cut(staff, 7, "gas_co", {"scope": "shed"})
    _cut(staff, 8, "thermal_runaway", {"scope": "socket", "device": "post-1", "socket": 2})
    # Another incident in another shed: nothing of it may show through shed-a's link.
    raise_alarm(staff.cloud, AlarmKey("shed-b", "env-1", 0, "smoke"), AlarmClass.FIRE, "smoke in b")
    links = runner.service.links(staff.incident_id, "guard-li", runner.clock.now_ms())

    r = await staff.client.get(_path(links["ack"]), headers=JSON)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json"), r.text
    view = r.json()
    assert view["link"]["action"] == "ack" and view["link"]["person"] == "guard-li"
    assert view["link"]["allows"] == ["ack"] and view["link"]["refused"] is None
    assert view["shed"] == {"shed": "shed-a", "name": "", "community": "c1", "tz": "Asia/Shanghai"}
    inc = view["incident"]
    assert inc["id"] == staff.incident_id and inc["alarm_class"] == "trouble"
    clocks = inc["clocks"]
    assert clocks["ack_due_ms"] == clocks["started_ms"] + 180_000
    assert clocks["onsite_due_ms"] == clocks["started_ms"] + 600_000
    assert clocks["ack_kept"] is None and clocks["now_ms"] >= clocks["started_ms"]
    assert clocks["elapsed_s"] == (clocks["now_ms"] - clocks["started_ms"]) / 1000
    assert [(a["type"], a["alarm_class"], a["severity"]) for a in view["alarms"]] == [("gas_co", "trouble", 500)]
    assert {a["shed"] for a in view["alarms"]} == {"shed-a"}
    cut = {"action": "cut", "scope": "shed", "device": None, "socket": None, "reason": "gas_co"}
    assert view["edge"] == [{"ts": cut_ms, **cut, "latched": True}]
    interlocks = [line for line in view["timeline"] if line["kind"] == "interlock"]
    assert [line["edge"]["reason"] for line in interlocks] == ["gas_co"]
    assert all(line["edge"] is None for line in view["timeline"] if line["kind"] != "interlock")
    assert isinstance(view["cameras"], list)

    view_link = (await staff.client.get(_path(links["view"]), headers=JSON)).json()
    assert view_link["link"]["allows"] == []

    # What a browser (and a chat app's preview) asks for is still the page, and a GET never acts.
    for headers in (BROWSER, {"Accept": "*/*"}, {}):
        page = await staff.client.get(_path(links["ack"]), headers=headers)
        assert page.headers["content-type"].startswith("text/html"), headers
    assert (await staff.client.get(_path(links["ack"]), headers=JSON)).json()["incident"]["acked_ms"] is None

    # Acted: the accept shows in the incident and its accept clock (kept).
    assert (await staff.client.post(_path(links["ack"]))).status_code == 200
    after = (await staff.client.get(_path(links["onsite"]), headers=JSON)).json()
    assert after["incident"]["acked_by"] == "guard-li" and after["incident"]["clocks"]["ack_kept"] is True
    assert after["link"]["allows"] == ["onsite"] and after["link"]["refused"] is None
    # The used accept link: allows nothing now, and says why (the same words the POST's 409 gives).
    used = (await staff.client.get(_path(links["ack"]), headers=JSON)).json()["link"]
    assert used["allows"] == [] and used["refused"] == "already acknowledged by guard-li"
    assert (await staff.client.post(_path(links["ack"]), headers=JSON)).json()["detail"] == used["refused"]


async def test_a_forged_or_expired_link_is_refused_in_json_too(staff: Staff) -> None:
    runner = staff.cloud.alarms
    assert runner is not None
    ack = _path(runner.service.links(staff.incident_id, "guard-li", runner.clock.now_ms())["ack"])
    forged = ack[:-3] + ("AAA" if not ack.endswith("AAA") else "BBB")
    r = await staff.client.get(forged, headers=JSON)
    assert r.status_code == 403 and r.json()["detail"] == "bad signature"
    old = _path(runner.service.links(staff.incident_id, "guard-li", runner.clock.now_ms() - 10**9)["ack"])
    r = await staff.client.get(old, headers=JSON)
    assert r.status_code == 403 and r.json()["detail"] == "link expired"


async def test_the_incident_list_carries_each_incidents_clocks(staff: Staff) -> None:
    listed = (await staff.client.get("/api/v1/incidents?open=true", headers=staff.auth("operator"))).json()
    item = next(i for i in listed["incidents"] if i["id"] == staff.incident_id)
    detail = (await staff.client.get(f"/api/v1/incidents/{staff.incident_id}", headers=staff.auth("operator"))).json()
    for field in ("ack_due_ms", "onsite_due_ms", "ack_kept", "onsite_kept", "started_ms"):
        assert item["clocks"][field] == detail["clocks"][field], field
    assert item["clocks"]["ack_due_ms"] == item["opened_ms"] + 180_000
    assert item["clocks"]["elapsed_s"] >= 0


def test_json_only_when_named_and_preferred() -> None:
    assert wants_json("application/json")
    assert wants_json("application/json, text/plain, */*")
    assert not wants_json(None) and not wants_json("") and not wants_json("*/*")
    assert not wants_json(BROWSER["Accept"])
    assert not wants_json("text/html, application/json")
    assert wants_json("text/html;q=0.5, application/json")
    assert not wants_json("application/json;q=bogus")
