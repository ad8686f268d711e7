"""PrincipalDep, require and the audit helpers inside the real app (stores opened by its lifespan)."""

import time

import httpx
import pytest
from fastapi import APIRouter

from cloud.api.principal import OK, SESSION_COOKIE, AuditDep, PrincipalDep, require
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Principal, Role
from cloud.settings import CloudSettings
from cloud.state import audit_rows
from tests.apiauth import bearer
from tests.integration.cloud.conftest import Api

pytestmark = pytest.mark.integration

probe = APIRouter()


@probe.get("/probe/whoami")
async def whoami(principal: PrincipalDep) -> dict[str, object]:
    return {"user": principal.user_id if principal else None, "role": principal.role if principal else None}


@probe.post("/probe/tariff/{community}")
def change_tariff(community: str, principal: PrincipalDep, audit: AuditDep) -> dict[str, object]:
    who = require(principal, Action.CONFIG_TARIFF, Resource(community=community), target=f"tariff:{community}")
    audit(Action.CONFIG_TARIFF, f"tariff:{community}", OK, "peak 1.2", community=community)
    return {"by": who.user_id}


@pytest.fixture
def app_client(api: Api) -> tuple[CloudSettings, httpx.AsyncClient]:
    api.app.include_router(probe)
    api.client.app = api.app  # type: ignore[attr-defined]
    return api.settings, api.client


def _audit(client: httpx.AsyncClient) -> list[audit_rows.AuditEntry]:
    engine = client.app.state.cloud.stores.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return audit_rows.newest(conn, communities=None)


async def test_anonymous_bearer_and_bad_tokens(app_client: tuple[CloudSettings, httpx.AsyncClient]) -> None:
    settings, client = app_client
    assert (await client.get("/probe/whoami")).json() == {"user": None, "role": None}
    r = await client.get("/probe/whoami", headers=bearer(settings, "operator", user_id="op-1"))
    assert r.json() == {"user": "op-1", "role": "operator"}
    for headers, detail in [
        ({"Authorization": "Bearer not-a-jwt"}, "invalid token"),
        ({"Authorization": "Bearer "}, "invalid token"),
        ({"Authorization": "Basic b3A6cHc="}, "unsupported Authorization scheme; send 'Bearer <token>'"),
        (bearer(CloudSettings(environment="development"), "admin"), "invalid token"),  # another key
    ]:
        r = await client.get("/probe/whoami", headers=headers)
        assert (r.status_code, r.json()["detail"], r.headers["www-authenticate"]) == (401, detail, "Bearer")
    old = settings.token_codec().issue(Principal("u1", Role.ADMIN, frozenset({"c1"})), now_s=time.time() - 3600)
    r = await client.get("/probe/whoami", headers={"Authorization": f"Bearer {old}"})
    assert (r.status_code, r.json()["detail"]) == (401, "token expired")


async def test_session_cookie_reads_and_same_origin_writes(app_client: tuple[CloudSettings, httpx.AsyncClient]) -> None:
    settings, client = app_client
    token = bearer(settings, "admin", user_id="adm")["Authorization"].removeprefix("Bearer ")
    client.cookies.set(SESSION_COOKIE, token)
    assert (await client.get("/probe/whoami")).json()["user"] == "adm"
    r = await client.post("/probe/tariff/c1")  # no Origin, no Referer: refused before the route runs
    assert r.status_code == 403 and r.json()["detail"].startswith("cross-site request refused")
    r = await client.post("/probe/tariff/c1", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert _audit(client) == []
    r = await client.post("/probe/tariff/c1", headers={"Origin": "http://t"})
    assert (r.status_code, r.json()) == (200, {"by": "adm"})
    # A bearer token wins over the cookie, and needs no Origin.
    r = await client.post("/probe/tariff/c2", headers=bearer(settings, "admin", ["c2"], user_id="adm2"))
    assert r.json() == {"by": "adm2"}
    client.cookies.set(SESSION_COOKIE, "garbage")
    r = await client.get("/probe/whoami")
    assert r.status_code == 401 and r.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=;")


async def test_require_refuses_and_audits(app_client: tuple[CloudSettings, httpx.AsyncClient]) -> None:
    settings, client = app_client
    r = await client.post("/probe/tariff/c1")
    assert (r.status_code, r.json()["detail"], r.headers["www-authenticate"]) == (401, "login required", "Bearer")
    r = await client.post("/probe/tariff/c1", headers=bearer(settings, "operator", user_id="op-1"))
    assert (r.status_code, r.json()) == (403, {"detail": "role operator may not config.tariff"})
    r = await client.post("/probe/tariff/c9", headers=bearer(settings, "admin", ["c1"], user_id="adm"))
    assert (r.status_code, r.json()) == (403, {"detail": "outside the user's communities"})
    r = await client.post("/probe/tariff/c9", headers=bearer(settings, "admin", (), user_id="root", everywhere=True))
    assert r.status_code == 200
    rows = [(e.actor, e.role, e.action, e.target, e.community, e.outcome, e.detail) for e in _audit(client)]
    assert rows == [
        ("root", "admin", "config.tariff", "tariff:c9", "c9", "ok", "peak 1.2"),
        ("adm", "admin", "config.tariff", "tariff:c9", "c9", "refused", "outside the user's communities"),
        ("op-1", "operator", "config.tariff", "tariff:c1", "c1", "refused", "role operator may not config.tariff"),
    ]
    newest = _audit(client)[0]
    assert newest.address == "127.0.0.1" and newest.ts_ms > 0 and newest.id > 0
