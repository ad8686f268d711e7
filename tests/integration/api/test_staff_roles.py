"""Every staff route at its role boundary: the roles granted pass, the others get 403, the same role in another
community gets 403, an anonymous caller 401 (docs/accounts.md, the permission table written out by hand here)."""

import pytest

from cloud.core.alarms.model import AlarmKey
from protocol.uplink import AlarmClass
from tests.integration.api.staffapp import (
    Staff,
    raise_alarm,
    staff_fixture,  # noqa: F401 - provides the staff fixture
)

pytestmark = pytest.mark.integration

A, O, S, I = "admin", "operator", "security", "installer"  # noqa: E741 - the table reads better with letters
STAFF = {A, O, S, I}
RESPONDERS = {A, O, S}
ROLES = (A, O, S, I, "resident")
THRESHOLDS = {"over_power_w": 900.0}
SHED = {"shed": {"shed": "shed-a", "community": "c1", "posts": [{"id": "post-1", "sockets": 4}]}}

# (method, path, JSON body, roles allowed); {alarm} and {incident} are the seeded ones, all in shed-a (c1).
ROUTES: list[tuple[str, str, object, set[str]]] = [
    ("GET", "/api/v1/sheds/shed-a", None, STAFF),
    ("GET", "/api/v1/sheds/shed-a/history?device=env-1&field=temp_c", None, STAFF),
    ("GET", "/api/v1/sheds/shed-a/sockets/post-1/1/history", None, STAFF),
    ("GET", "/api/v1/alarms/{alarm}", None, STAFF),
    ("GET", "/api/v1/alarms?shed=shed-a", None, STAFF),
    ("POST", "/api/v1/alarms/{alarm}/comment", {"text": "checked"}, RESPONDERS),
    ("POST", "/api/v1/alarms/{alarm}/assign", {"assignee": "guard-li"}, {A, O}),
    ("POST", "/api/v1/alarms/{alarm}/silence", None, {A, O}),
    ("POST", "/api/v1/alarms/{alarm}/shelve", {"duration_s": 60, "reason": "sensor swap"}, {A, O}),
    ("POST", "/api/v1/alarms/{alarm}/unshelve", None, {A, O}),
    ("POST", "/api/v1/alarms/{alarm}/acknowledge", None, RESPONDERS),
    ("GET", "/api/v1/incidents/{incident}", None, RESPONDERS),
    ("GET", "/api/v1/incidents?shed=shed-a", None, RESPONDERS),
    ("POST", "/api/v1/incidents/{incident}/comment", {"text": "on my way"}, RESPONDERS),
    ("POST", "/api/v1/incidents/{incident}/assign", {"assignee": "guard-li"}, {A, O}),
    ("POST", "/api/v1/incidents/{incident}/acknowledge", None, RESPONDERS),
    ("POST", "/api/v1/incidents/{incident}/on-site", None, RESPONDERS),
    ("POST", "/api/v1/incidents/{incident}/resolve", {"classification": "test", "note": "drill"}, RESPONDERS),
    ("GET", "/api/v1/sheds/shed-a/inspections", None, STAFF),
    ("POST", "/api/v1/sheds/shed-a/inspections", {"device": "ext-1", "note": "gauge green"}, {A, S, I}),
    ("POST", "/api/v1/sheds/shed-a/commands", {"action": "stop_socket", "device": "post-1", "socket": 1}, RESPONDERS),
    ("POST", "/api/v1/sheds/shed-a/commands", {"action": "reset_trip"}, {A, O, I}),
    ("POST", "/api/v1/sheds/shed-a/commands", {"action": "push_config"}, {A, I}),
    ("GET", "/api/v1/sheds/shed-a/commands/abc", None, STAFF),
    ("GET", "/api/v1/config/communities/c1", None, STAFF),
    ("PUT", "/api/v1/config/communities/c1", {"name": "Jinsong North", "ack_s": 120}, {A}),
    ("GET", "/api/v1/config/communities/c1/rota", None, {A, O}),
    ("PUT", "/api/v1/config/communities/c1/rota", {"chain": ["guard"], "shift": []}, {A, O}),
    ("GET", "/api/v1/config/communities/c1/channels", None, {A, O}),
    ("PUT", "/api/v1/config/communities/c1/channels", {"person": [{"id": "guard-li", "targets": []}]}, {A, O}),
    ("POST", "/api/v1/config/inventory", SHED, {A, I}),
    ("GET", "/api/v1/config/sheds/shed-a", None, STAFF),
    ("PUT", "/api/v1/config/sheds/shed-a/thresholds", THRESHOLDS, {A, I}),
]


async def _call(staff: Staff, method: str, path: str, body: object, headers: dict[str, str]) -> int:
    url = path.format(alarm=staff.alarm_id, incident=staff.incident_id)
    r = await staff.client.request(method, url, json=body, headers=headers)
    # This app runs no command sender (no broker): an allowed command gets 503, never any other 5xx.
    assert r.status_code < 500 or (r.status_code == 503 and "/commands" in url), (method, url, r.status_code, r.text)
    return r.status_code


async def test_every_route_at_its_role_boundary(staff: Staff) -> None:
    # One app for every route (starting one per route costs seconds each): each route's result is collected.
    wrong: list[tuple[str, str, str, int]] = []

    def check(route: tuple[str, str], who: str, got: int, ok: bool) -> None:
        if not ok:
            wrong.append((*route, who, got))

    for method, path, body, allowed in ROUTES:
        route = (method, path)
        check(route, "anonymous", got := await _call(staff, method, path, body, {}), got == 401)
        bad = {"Authorization": "Bearer not-a-token"}
        check(route, "bad token", got := await _call(staff, method, path, body, bad), got == 401)
        for role in ROLES:
            got = await _call(staff, method, path, body, staff.auth(role))
            check(route, role, got, got not in (401, 403) if role in allowed else got == 403)
            if role != "resident":  # the same role of another community is refused
                got = await _call(staff, method, path, body, staff.auth(role, "c2"))
                check(route, f"{role} of c2", got, got == 403)
        got = await _call(staff, method, path, body, staff.auth(A, everywhere=True))
        check(route, "deployment-wide admin", got, got not in (401, 403))
    assert wrong == []


async def test_lists_show_only_the_callers_communities(staff: Staff) -> None:
    raise_alarm(staff.cloud, AlarmKey("shed-b", "env-1", 0, "gas_h2"), AlarmClass.PRE_FIRE, "H2")
    c = staff.client
    for role, sheds in ((O, {"c1": ["shed-a"], "c2": ["shed-b"]}), (I, {"c1": ["shed-a"], "c2": ["shed-b"]})):
        for community, expected in sheds.items():
            got = (await c.get("/api/v1/sheds", headers=staff.auth(role, community))).json()
            assert [s["shed"] for s in got["sheds"]] == expected
            alarms = (await c.get("/api/v1/alarms", headers=staff.auth(role, community))).json()["alarms"]
            assert {a["shed"] for a in alarms} == set(expected)
    both = (await c.get("/api/v1/sheds", headers=staff.auth(O, "c1", "c2"))).json()
    assert [s["shed"] for s in both["sheds"]] == ["shed-a", "shed-b"]
    everywhere = (await c.get("/api/v1/incidents", headers=staff.auth(A, everywhere=True))).json()
    assert {i["shed"] for i in everywhere["incidents"]} == {"shed-a", "shed-b"}
    mine = (await c.get("/api/v1/incidents", headers=staff.auth(S, "c2"))).json()
    assert [i["shed"] for i in mine["incidents"]] == ["shed-b"]
    # Lists refuse the roles the table refuses, and anonymous callers.
    assert (await c.get("/api/v1/incidents", headers=staff.auth(I))).status_code == 403
    assert (await c.get("/api/v1/alarms", headers=staff.auth("resident"))).status_code == 403
    assert (await c.get("/api/v1/sheds")).status_code == 401


async def test_an_unknown_shed_is_403_except_to_a_deployment_wide_admin(staff: Staff) -> None:
    c = staff.client
    assert (await c.get("/api/v1/sheds/shed-z", headers=staff.auth(O))).status_code == 403
    everywhere = staff.auth(A, everywhere=True)
    for path in ("", "/inspections", "/history?device=env-1&field=temp_c", "/sockets/post-1/1/history"):
        assert (await c.get(f"/api/v1/sheds/shed-z{path}", headers=everywhere)).status_code == 404, path
        assert (await c.get(f"/api/v1/sheds/shed-z{path}", headers=staff.auth(O))).status_code == 403, path
    stop = {"action": "stop_socket", "device": "post-1", "socket": 1}
    assert (await c.post("/api/v1/sheds/shed-z/commands", json=stop, headers=everywhere)).status_code == 404
    assert (await c.get("/api/v1/alarms/999", headers=staff.auth(O))).status_code == 403
    assert (await c.get("/api/v1/alarms/999", headers=staff.auth(A, everywhere=True))).status_code == 404
    assert (await c.get("/api/v1/incidents/inc-nope", headers=staff.auth(A, everywhere=True))).status_code == 404
