"""Login, the session cookie, logout, /me and one's own password, through the real app and state store."""

import time

import pytest

from cloud.api.principal import SESSION_COOKIE
from cloud.core.access.roles import Role
from cloud.state import audit_rows
from tests.integration.cloud.conftest import Api

pytestmark = pytest.mark.integration

PW = "correct horse battery"


def _setup(api: Api) -> str:
    api.directory.create_community("c1")
    return api.directory.create_user(
        username="Li.Wei", password=PW, role=Role.OPERATOR, communities=["c1"], display_name="Li Wei"
    ).id


def _audit(api: Api) -> list[tuple[str, str, str, str]]:
    with api.app.state.cloud.stores.state.engine.connect() as conn:
        return [(e.action, e.actor, e.outcome, e.detail) for e in audit_rows.newest(conn, communities=None)]


async def test_password_flow_token_and_me(api: Api) -> None:
    uid = _setup(api)
    r = await api.client.post("/api/v1/auth/token", data={"username": "li.wei", "password": PW})
    body = r.json()
    assert r.status_code == 200 and body["token_type"] == "bearer" and body["expires_in"] == 900
    me = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "id": uid,
        "username": "li.wei",
        "display_name": "Li Wei",
        "role": "operator",
        "communities": ["c1"],
        "everywhere": False,
        "disabled": False,
        "created_ms": me.json()["created_ms"],
    }
    assert (await api.client.get("/api/v1/me")).status_code == 401
    api.directory.change(uid, disabled=True)  # a token of a since-disabled account no longer reads /me
    me = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert (me.status_code, me.json()["detail"]) == (401, "account disabled or removed")


async def test_failures_look_alike_and_are_audited(api: Api) -> None:
    uid = _setup(api)
    answers = []
    for username, password in [("li.wei", "wrong password"), ("nobody", PW), ("x", PW)]:
        r = await api.client.post("/api/v1/auth/token", data={"username": username, "password": password})
        answers.append((r.status_code, r.json(), r.headers.get("www-authenticate")))
    api.directory.change(uid, disabled=True)
    r = await api.client.post("/api/v1/auth/token", data={"username": "li.wei", "password": PW})
    answers.append((r.status_code, r.json(), r.headers.get("www-authenticate")))
    assert answers == [(401, {"detail": "incorrect user name or password"}, "Bearer")] * 4
    assert [(a, o, d) for a, _, o, d in _audit(api)] == [
        ("auth.login", "refused", "disabled"),
        ("auth.login", "refused", "bad credentials"),
        ("auth.login", "refused", "bad credentials"),
        ("auth.login", "refused", "bad credentials"),
    ]
    assert (await api.client.post("/api/v1/auth/token", data={"username": "li.wei"})).status_code == 422


@pytest.mark.parametrize("api", [{"login_max_failures_per_user": 3}], indirect=True)
async def test_repeated_failures_are_throttled(api: Api) -> None:
    _setup(api)
    codes = []
    for _ in range(4):
        r = await api.client.post("/api/v1/auth/token", data={"username": "LI.WEI", "password": "nope nope"})
        codes.append(r.status_code)
    assert codes == [401, 401, 401, 429] and int(r.headers["retry-after"]) > 0
    r = await api.client.post("/api/v1/auth/token", data={"username": "li.wei", "password": PW})
    assert r.status_code == 429  # even the right password waits: the name is locked for the window
    assert _audit(api)[0][2:] == ("refused", "throttled")


async def test_login_sets_a_strict_http_only_cookie(api: Api) -> None:
    uid = _setup(api)
    r = await api.client.post("/api/v1/auth/login", json={"username": "li.wei", "password": PW})
    assert r.status_code == 200 and r.json()["user"]["id"] == uid and r.json()["expires_in"] == 900
    cookie = r.headers["set-cookie"]
    for part in ("HttpOnly", "SameSite=strict", "Secure", "Max-Age=900", "Path=/"):
        assert part.lower() in cookie.lower(), cookie
    r = await api.client.post("/api/v1/auth/login", data={"username": "li.wei", "password": PW})
    assert r.status_code == 200  # a plain HTML form works too
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": "li.wei", "password": PW}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "cross-site" in r.json()["detail"]
    r = await api.client.post("/api/v1/auth/login", json={"username": "li.wei"})
    assert r.status_code == 422
    r = await api.client.post("/api/v1/auth/login", json={"username": "li.wei", "password": "bad password"})
    assert r.status_code == 401 and "set-cookie" not in r.headers


@pytest.mark.parametrize("api", [{"cookie_secure": False}], indirect=True)
async def test_cookie_session_me_renewal_and_logout(api: Api) -> None:
    uid = _setup(api)
    assert (await api.client.post("/api/v1/auth/login", json={"username": "li.wei", "password": PW})).is_success
    r = await api.client.get("/api/v1/me")
    assert r.json()["id"] == uid and "set-cookie" not in r.headers  # young cookie: not renewed
    user = api.directory.get(uid)
    assert user is not None
    old = api.settings.token_codec().issue(user.principal(), now_s=time.time() - 600)  # past half of 900 s
    api.client.cookies.clear()
    api.client.cookies.set(SESSION_COOKIE, old)
    api.directory.change(uid, role=Role.SECURITY)
    r = await api.client.get("/api/v1/me")
    assert r.status_code == 200 and SESSION_COOKIE in r.headers["set-cookie"]
    renewed = api.settings.token_codec().check(r.cookies[SESSION_COOKIE], now_s=time.time())[0]
    assert renewed.role is Role.SECURITY  # the renewal takes the account as it is now
    api.client.cookies.clear()
    api.client.cookies.set(SESSION_COOKIE, old)
    api.directory.change(uid, disabled=True)
    r = await api.client.get("/api/v1/me")
    assert r.status_code == 401 and r.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=;")
    api.directory.change(uid, disabled=False)
    api.client.cookies.clear()  # the hand-set cookie above has no domain: the server cannot expire it
    assert (await api.client.post("/api/v1/auth/login", json={"username": "li.wei", "password": PW})).is_success
    r = await api.client.post("/api/v1/auth/logout")
    assert r.status_code == 204 and SESSION_COOKIE not in api.client.cookies
    assert (await api.client.get("/api/v1/me")).status_code == 401
    assert (await api.client.post("/api/v1/auth/logout")).status_code == 204  # always
    assert _audit(api)[0][:3] == ("auth.logout", uid, "ok")


async def test_own_password_change(api: Api) -> None:
    uid = _setup(api)
    token = (await api.client.post("/api/v1/auth/token", data={"username": "li.wei", "password": PW})).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    path = "/api/v1/me/password"
    r = await api.client.post(path, json={"current_password": "not it at all", "new_password": "x" * 12}, headers=auth)
    assert r.status_code == 403
    r = await api.client.post(path, json={"current_password": PW, "new_password": "short"}, headers=auth)
    assert r.status_code == 422 and "at least 8" in r.json()["detail"]
    r = await api.client.post(path, json={"current_password": PW, "new_password": "a new long secret"}, headers=auth)
    assert r.status_code == 204
    assert api.directory.authenticate("li.wei", "a new long secret")[1] == "ok"
    assert api.directory.authenticate("li.wei", PW)[1] == "bad credentials"
    assert [(a, o) for a, actor, o, _ in _audit(api) if actor == uid][:3] == [
        ("auth.password", "ok"),
        ("auth.password", "failed"),
        ("auth.password", "refused"),
    ]
    assert (await api.client.post(path, json={"current_password": PW, "new_password": PW})).status_code == 401
