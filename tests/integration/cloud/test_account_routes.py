"""Role boundaries of the account routes: /users, /communities, /audit (every role, own and other communities)."""

import pytest

from cloud.core.access.roles import Role
from tests.apiauth import bearer
from tests.integration.cloud.conftest import Api

pytestmark = pytest.mark.integration

STAFF_BUT_ADMIN = ["operator", "security", "installer"]
NOT_ADMIN = [*STAFF_BUT_ADMIN, "resident"]
PW = "a long enough password"


def _seed(api: Api) -> dict[str, str]:
    for c in ("c1", "c2"):
        api.directory.create_community(c)
    d = api.directory
    return {
        "res1": d.create_user(username="res1", password=PW, role=Role.RESIDENT, communities=["c1"]).id,
        "sec2": d.create_user(username="sec2", password=PW, role=Role.SECURITY, communities=["c2"]).id,
        "both": d.create_user(username="both", password=PW, role=Role.OPERATOR, communities=["c1", "c2"]).id,
    }


def _root(api: Api) -> dict[str, str]:
    return bearer(api.settings, "admin", (), user_id="root", everywhere=True)


def _admin1(api: Api) -> dict[str, str]:
    return bearer(api.settings, "admin", ["c1"], user_id="adm1")


async def _audit(api: Api) -> list[dict[str, object]]:
    r = await api.client.get("/api/v1/audit", headers=_root(api))
    assert r.status_code == 200
    entries: list[dict[str, object]] = r.json()["entries"]
    return entries


@pytest.mark.parametrize("role", NOT_ADMIN)
async def test_only_admins_manage_users(api: Api, role: str) -> None:
    ids = _seed(api)
    h = bearer(api.settings, role, ["c1"], user_id="someone")
    new = {"username": "newbie", "password": PW, "role": "resident", "communities": ["c1"]}
    assert (await api.client.get("/api/v1/users", headers=h)).status_code == 403
    assert (await api.client.post("/api/v1/users", json=new, headers=h)).status_code == 403
    assert (await api.client.get(f"/api/v1/users/{ids['res1']}", headers=h)).status_code == 403
    assert (
        await api.client.patch(f"/api/v1/users/{ids['res1']}", json={"disabled": True}, headers=h)
    ).status_code == 403
    r = await api.client.post(f"/api/v1/users/{ids['res1']}/password", json={"password": PW}, headers=h)
    assert (r.status_code, r.json()["detail"]) == (403, f"role {role} may not user.manage")
    refused = [e for e in await _audit(api) if e["actor"] == "someone"]
    assert [e["outcome"] for e in refused] == ["refused"] * 5  # the read of one user is user.manage too
    assert api.directory.find("newbie") is None and not api.directory.get(ids["res1"]).disabled  # type: ignore[union-attr]


async def test_anonymous_callers_must_log_in(api: Api) -> None:
    for method, path in [("GET", "/api/v1/users"), ("POST", "/api/v1/users"), ("GET", "/api/v1/communities"),
                         ("POST", "/api/v1/communities"), ("GET", "/api/v1/audit")]:  # fmt: skip
        r = await api.client.request(method, path, json={} if method == "POST" else None)
        assert r.status_code in (401, 422), (method, path)
        if r.status_code == 401:
            assert r.headers["www-authenticate"] == "Bearer"
    assert (await api.client.get("/api/v1/users")).status_code == 401


async def test_a_community_admin_manages_only_their_community(api: Api) -> None:
    ids = _seed(api)
    h = _admin1(api)
    listed = (await api.client.get("/api/v1/users", headers=h)).json()
    assert [(u["username"], u["communities"]) for u in listed] == [("both", ["c1"]), ("res1", ["c1"])]
    assert (await api.client.get("/api/v1/users", params={"community": "c2"}, headers=h)).status_code == 403
    new = {"username": "Guard.Zhao", "password": PW, "role": "security", "communities": ["c1"], "display_name": "Zhao"}
    r = await api.client.post("/api/v1/users", json=new, headers=h)
    assert r.status_code == 201 and (r.json()["username"], r.json()["role"]) == ("guard.zhao", "security")
    assert "password" not in r.text and "argon2" not in r.text
    assert (await api.client.post("/api/v1/users", json=new, headers=h)).status_code == 409
    assert (
        await api.client.post("/api/v1/users", json={**new, "communities": ["c1", "c2"]}, headers=h)
    ).status_code == 403
    assert (
        await api.client.post("/api/v1/users", json={**new, "username": "z1", "password": "short"}, headers=h)
    ).status_code == 422
    assert (await api.client.post("/api/v1/users", json={**new, "username": "bad name!"}, headers=h)).status_code == 422
    assert (await api.client.post("/api/v1/users", json={**new, "communities": []}, headers=h)).status_code == 422
    # Change and reset within c1; the two-community operator and the c2 guard are out of reach.
    r = await api.client.patch(
        f"/api/v1/users/{ids['res1']}", json={"display_name": "Res One", "disabled": True}, headers=h
    )
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert api.directory.authenticate("res1", PW)[1] == "disabled"
    assert (
        await api.client.post(f"/api/v1/users/{ids['res1']}/password", json={"password": "another one!"}, headers=h)
    ).status_code == 204
    assert (
        await api.client.post(f"/api/v1/users/{ids['res1']}/password", json={"password": "2short"}, headers=h)
    ).status_code == 422
    assert (
        await api.client.patch(f"/api/v1/users/{ids['both']}", json={"role": "security"}, headers=h)
    ).status_code == 403
    assert (await api.client.get(f"/api/v1/users/{ids['sec2']}", headers=h)).status_code == 403
    assert (
        await api.client.patch(f"/api/v1/users/{ids['res1']}", json={"communities": ["c2"]}, headers=h)
    ).status_code == 403
    assert (await api.client.get("/api/v1/users/u-nope", headers=h)).status_code == 404
    # Nobody demotes or disables themselves.
    me = api.directory.create_user(username="adm1", password=PW, role=Role.ADMIN, communities=["c1"]).id
    mine = bearer(api.settings, "admin", ["c1"], user_id=me)
    r = await api.client.patch(f"/api/v1/users/{me}", json={"disabled": True}, headers=mine)
    assert (r.status_code, r.json()["detail"]) == (403, "not on your own account")
    assert (await api.client.patch(f"/api/v1/users/{me}", json={"display_name": "Me"}, headers=mine)).status_code == 200
    outcomes = [(e["actor"], e["outcome"], e["target"]) for e in await _audit(api) if e["action"] == "user.manage"]
    assert ("adm1", "failed", "user:guard.zhao") in outcomes and (me, "refused", f"user:{me}") in outcomes
    assert ("adm1", "ok", f"user:{ids['res1']}") in outcomes and ("adm1", "refused", f"user:{ids['both']}") in outcomes


async def test_a_deployment_wide_admin_reaches_everything(api: Api) -> None:
    ids = _seed(api)
    h = _root(api)
    assert len((await api.client.get("/api/v1/users", headers=h)).json()) == 3
    only_c2 = (await api.client.get("/api/v1/users", params={"community": "c2"}, headers=h)).json()
    assert [(u["username"], u["communities"]) for u in only_c2] == [("both", ["c1", "c2"]), ("sec2", ["c2"])]
    r = await api.client.patch(
        f"/api/v1/users/{ids['both']}", json={"role": "security", "communities": ["c2"]}, headers=h
    )
    assert (r.json()["role"], r.json()["communities"]) == ("security", ["c2"])
    r = await api.client.patch(f"/api/v1/users/{ids['both']}", json={"communities": ["c9"]}, headers=h)
    assert r.status_code == 422 and "no such community" in r.json()["detail"]
    # A deployment-wide account is out of a community admin's reach.
    root_id = api.directory.create_user(username="root", password=PW, role=Role.ADMIN, everywhere=True).id
    assert (await api.client.get(f"/api/v1/users/{root_id}", headers=_admin1(api))).status_code == 403
    assert (await api.client.get(f"/api/v1/users/{root_id}", headers=h)).json()["everywhere"] is True


@pytest.mark.parametrize("role", ["admin", *STAFF_BUT_ADMIN])
async def test_staff_list_their_communities_residents_do_not(api: Api, role: str) -> None:
    _seed(api)
    r = await api.client.get("/api/v1/communities", headers=bearer(api.settings, role, ["c2", "c7"]))
    assert r.json() == [{"community": "c2", "name": "c2"}]  # c7 does not exist
    r = await api.client.get("/api/v1/communities", headers=bearer(api.settings, "resident", ["c2"]))
    assert r.status_code == 403


async def test_only_a_deployment_wide_admin_creates_communities(api: Api) -> None:
    body = {"community": "jinsong-north", "name": "Jinsong North"}
    for h in (_admin1(api), bearer(api.settings, "operator", ["c1"])):
        assert (await api.client.post("/api/v1/communities", json=body, headers=h)).status_code == 403
    r = await api.client.post("/api/v1/communities", json=body, headers=_root(api))
    assert (r.status_code, r.json()) == (201, body)
    assert (await api.client.post("/api/v1/communities", json=body, headers=_root(api))).status_code == 409
    r = await api.client.post("/api/v1/communities", json={"community": "Bad Id"}, headers=_root(api))
    assert r.status_code == 422
    listed = (await api.client.get("/api/v1/communities", headers=_root(api))).json()
    assert listed == [body]
    assert [(e["outcome"], e["target"]) for e in (await _audit(api))[:4]] == [
        ("failed", "community:Bad Id"),
        ("failed", "community:jinsong-north"),
        ("ok", "community:jinsong-north"),
        ("refused", "community:jinsong-north"),
    ]


@pytest.mark.parametrize("role", NOT_ADMIN)
async def test_the_audit_log_is_for_admins_of_its_community(api: Api, role: str) -> None:
    ids = _seed(api)
    await api.client.patch(f"/api/v1/users/{ids['res1']}", json={"display_name": "R1"}, headers=_admin1(api))
    await api.client.patch(f"/api/v1/users/{ids['sec2']}", json={"display_name": "S2"}, headers=_root(api))
    assert (await api.client.get("/api/v1/audit", headers=bearer(api.settings, role, ["c1"]))).status_code == 403
    mine = (await api.client.get("/api/v1/audit", headers=_admin1(api))).json()["entries"]
    assert [(e["actor"], e["community"], e["detail"]) for e in mine] == [("adm1", "c1", "changed display_name=R1")]
    assert (await api.client.get("/api/v1/audit", params={"community": "c2"}, headers=_admin1(api))).status_code == 403
    page = (await api.client.get("/api/v1/audit", params={"limit": 1}, headers=_root(api))).json()
    assert page["entries"][0]["community"] == "c2" and page["next_before_id"] == page["entries"][0]["id"]
    rest = (
        await api.client.get("/api/v1/audit", params={"before_id": page["next_before_id"]}, headers=_root(api))
    ).json()
    assert [e["community"] for e in rest["entries"]] == ["c1"] and rest["next_before_id"] is None
