"""What schemathesis found in the account routes, pinned as plain tests: the login's 422 has FastAPI's
``HTTPValidationError`` shape for any body (even bytes that are not UTF-8), and a community's display name that
``POST /api/v1/communities`` accepts is one the configuration route can show (it answered 500 for a long one)."""

import pytest

from cloud.auth.errors import AccountError
from tests.apiauth import bearer
from tests.integration.cloud.conftest import Api

pytestmark = pytest.mark.integration

JSON = {"content-type": "application/json"}


async def test_a_login_body_it_cannot_read_is_fastapis_422(api: Api) -> None:
    r = await api.client.post("/api/v1/auth/login", json={"username": "li.wei"})
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "password"], "missing") and error["msg"]
    r = await api.client.post("/api/v1/auth/login", data={"password": "x"})  # a form
    assert r.status_code == 422 and [e["loc"] for e in r.json()["detail"]] == [["body", "username"]]
    r = await api.client.post("/api/v1/auth/login", content=b"\xb0\r\x0ci\xfbV", headers=JSON)
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert (error["loc"], error["type"]) == (["body"], "json_invalid") and "\ufffd" in error["input"]


async def test_a_community_name_is_as_long_as_every_route_can_show(api: Api) -> None:
    root = bearer(api.settings, "admin", (), user_id="root", everywhere=True)
    longest = {"community": "c9", "name": "N" * 100}
    r = await api.client.post("/api/v1/communities", json={"community": "c8", "name": "N" * 101}, headers=root)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]
    assert (await api.client.post("/api/v1/communities", json=longest, headers=root)).status_code == 201
    r = await api.client.get("/api/v1/config/communities/c9", headers=root)
    assert r.status_code == 200 and r.json()["name"] == "N" * 100
    with pytest.raises(AccountError, match="at most 100"):  # the directory (CLI) keeps the same limit
        api.directory.create_community("c7", "N" * 101)
