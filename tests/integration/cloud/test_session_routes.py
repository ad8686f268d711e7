"""Every charging route and role boundary (docs/accounts.md table) in a running cloud with a scripted edge:
sessions, wallet, tariffs, notification settings, QR ids; audit rows for state changes."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.api.app import create_app
from cloud.auth.accounts import User
from cloud.core.access.roles import Role
from cloud.settings import CloudSettings
from cloud.state import account_rows, audit_rows
from protocol.config import PostSpec, ShedConfig
from protocol.uplink import SocketStatus
from shedwatch.mosquitto import Mosquitto
from tests.apiauth import bearer
from tests.integration.cloud.helpers import birth
from tests.integration.cloud.session_edge import SHED, ScriptedEdge
from tests.waiting import wait_until

pytestmark = pytest.mark.integration
TARIFF = {
    "timezone": "Asia/Shanghai",
    "billing": "energy",
    "schedule": [{"start": "00:00", "period": "valley"}, {"start": "08:00", "period": "flat"}],
    "per_kwh": {"valley": 0.3, "flat": 0.6},
}


@pytest.fixture
async def api(tmp_path: Path, mosquitto: Mosquitto) -> AsyncIterator[tuple[httpx.AsyncClient, Any, ScriptedEdge]]:
    settings = CloudSettings(
        data_dir=tmp_path, broker=mosquitto.url, alarms=False, environment="development", charging_tick_s=0.1
    )
    app = create_app(settings)
    edge = ScriptedEdge(mosquitto.port, refuse_socket=4)
    transport = httpx.ASGITransport(app=app)
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            cloud = app.state.cloud
            sheds = ((SHED, "c1", "authorised"), ("shed-b", "c2", "authorised"), ("shed-c", "c1", "authorised"))
            for shed, community, mode in (*sheds, ("shed-o", "c1", "open")):
                cloud.stores.state.import_inventory(
                    ShedConfig(shed=shed, community=community, mode=mode, posts=[PostSpec(id="post-1", sockets=4)]),
                    actor="test",
                    now_ms=cloud.clock.now_ms(),
                )
            accounts = (("alice", Role.RESIDENT, "c1"), ("bob", Role.RESIDENT, "c1"), ("carol", Role.RESIDENT, "c2"))
            with cloud.stores.state.engine.begin() as conn:  # ids as the tokens of who() name them
                for uid, role, community in (*accounts, ("op", Role.OPERATOR, "c1")):
                    account_rows.insert(
                        conn, User(uid, uid, uid.title(), role, frozenset({community}), False, False, 0)
                    )
            edge.send(lambda seq: birth(SHED, seq, {("post-1", n): SocketStatus.PLUGGED for n in (1, 2, 3, 4)}))
            sender = lambda: app.state.charging.service.sender  # noqa: E731
            await asyncio.to_thread(
                wait_until,
                lambda: cloud.live.socket(SHED, "post-1", 4) and sender() and sender()._connected.is_set(),
                timeout=15,
                what="the birth and the command sender",
            )
            yield c, (settings, app), edge
    finally:
        edge.close()


def who(settings: CloudSettings, role: str, community: str = "c1", user: str = "u1", **kw: Any) -> dict[str, str]:
    return bearer(settings, role, communities=(community,), user_id=user, **kw)


def audited(app: Any, action: str) -> list[audit_rows.AuditEntry]:
    with app.state.cloud.stores.state.engine.connect() as conn:
        return [e for e in audit_rows.newest(conn, communities=None) if e.action == action]


async def test_tariffs_wallets_and_notification_settings_by_role(
    api: tuple[httpx.AsyncClient, Any, ScriptedEdge],
) -> None:
    c, (settings, app), _edge = api
    admin, operator = who(settings, "admin", user="adm"), who(settings, "operator", user="op")
    security, installer = who(settings, "security", user="sec"), who(settings, "installer", user="inst")
    alice, bob = who(settings, "resident", user="alice"), who(settings, "resident", user="bob")
    carol_c2 = who(settings, "resident", "c2", user="carol")

    # Tariffs: public read; only an admin of the community writes; a bad one is refused with its reason.
    path = "/api/v1/communities/c1/tariff"
    assert (await c.get(path)).status_code == 404
    assert (await c.put(path, json=TARIFF)).status_code == 401
    for headers in (operator, security, installer, alice, who(settings, "admin", "c2", user="adm2")):
        assert (await c.put(path, json=TARIFF, headers=headers)).status_code == 403
    bad = {**TARIFF, "per_kwh": {"valley": 0.3}}
    r = await c.put(path, json=bad, headers=admin)
    assert r.status_code == 422 and "no price for flat" in r.json()["detail"]
    r = await c.put(path, json=TARIFF, headers=admin)
    assert r.status_code == 200 and r.json()["version"] == 1 and r.json()["actor"] == "adm"
    r = await c.get(path)  # anonymous
    assert r.status_code == 200 and r.json()["per_kwh"] == {"valley": 0.3, "flat": 0.6}
    assert (await c.put(path, json=TARIFF, headers=admin)).json()["version"] == 2
    outcomes = [(e.outcome, e.actor) for e in audited(app, "config.tariff")]
    assert ("ok", "adm") in outcomes and ("refused", "op") in outcomes and ("refused", "adm") in outcomes

    # Wallet credits: admin and operator of the community; never security, installer or residents.
    credits = "/api/v1/residents/alice/wallet/credits"
    r = await c.post(credits, json={"amount_fen": 500}, headers=operator)
    assert r.status_code == 422 and "community" in r.json()["detail"]  # a first credit names it
    for headers in (security, installer, alice, who(settings, "operator", "c2", user="op2")):
        assert (await c.post(credits, json={"amount_fen": 500, "community": "c1"}, headers=headers)).status_code == 403
    r = await c.post(credits, json={"amount_fen": 500, "community": "c1", "note": "cash"}, headers=operator)
    assert r.status_code == 201 and r.json()["balance_fen"] == 500
    assert (await c.post(credits, json={"amount_fen": 200}, headers=admin)).json()["balance_fen"] == 700
    for amount in (0, -5):
        assert (await c.post(credits, json={"amount_fen": amount}, headers=operator)).status_code == 422
    r = await c.post(credits, json={"amount_fen": 100_001}, headers=operator)
    assert r.status_code == 422 and "at most" in r.json()["detail"]
    r = await c.post(credits, json={"amount_fen": 1, "community": "c2"}, headers=operator)
    assert r.status_code == 422
    assert [e.outcome for e in audited(app, "wallet.credit")].count("ok") == 2
    # Only an existing resident of the credit's community: never an unknown id, a staff account, or a resident of
    # another community named with the caller's own (404); a community not the caller's is 403.
    c1 = {"amount_fen": 100, "community": "c1"}
    for user in ("nobody", "op", "carol"):
        r = await c.post(f"/api/v1/residents/{user}/wallet/credits", json=c1, headers=operator)
        assert r.status_code == 404 and "no resident" in r.json()["detail"], (user, r.text)
    c2 = {"amount_fen": 100, "community": "c2"}
    assert (await c.post("/api/v1/residents/carol/wallet/credits", json=c2, headers=operator)).status_code == 403
    assert [e.outcome for e in audited(app, "wallet.credit")].count("refused") >= 4
    # The user name works as well as the id (here the same but for case), and staff can look residents up.
    r = await c.post("/api/v1/residents/BOB/wallet/credits", json=c1, headers=operator)
    assert r.status_code == 201 and r.json()["user_id"] == "bob" and r.json()["balance_fen"] == 100
    r = await c.get("/api/v1/residents", params={"community": "c1", "q": "AL"}, headers=operator)
    assert r.status_code == 200 and r.json() == [
        {"id": "alice", "username": "alice", "display_name": "Alice", "communities": ["c1"]}
    ]
    everyone = (await c.get("/api/v1/residents", params={"community": "c1"}, headers=admin)).json()
    assert [u["id"] for u in everyone] == ["alice", "bob"]  # residents only, not the operator
    for headers in (security, installer, alice, who(settings, "operator", "c2", user="op2")):
        r = await c.get("/api/v1/residents", params={"community": "c1"}, headers=headers)
        assert r.status_code == 403
    assert (await c.get("/api/v1/residents", params={"community": "c1"})).status_code == 401
    assert (await c.get("/api/v1/residents", params={"community": "Bad Id"}, headers=admin)).status_code == 422

    # Wallet reads: the resident's own; staff who may (admin, operator of c1); nobody else.
    own = (await c.get("/api/v1/wallet", headers=alice)).json()
    assert own["balance_fen"] == 700 and [x["amount_fen"] for x in own["ledger"]] == [200, 500]
    assert (await c.get("/api/v1/wallet", headers=bob)).json()["balance_fen"] == 100
    assert (await c.get("/api/v1/wallet")).status_code == 401
    for headers in (installer, operator, admin):  # staff have no wallet
        assert (await c.get("/api/v1/wallet", headers=headers)).status_code == 403
    assert (await c.get("/api/v1/residents/alice/wallet", headers=operator)).json()["balance_fen"] == 700
    assert (await c.get("/api/v1/residents/alice/wallet", headers=alice)).status_code == 200
    for headers in (bob, security, installer, carol_c2, who(settings, "operator", "c2", user="op2")):
        assert (await c.get("/api/v1/residents/alice/wallet", headers=headers)).status_code == 403
    assert (await c.get("/api/v1/residents/nobody/wallet", headers=operator)).status_code == 404

    # Notification settings: residents only, their own; the channel must be one Apprise knows.
    me = "/api/v1/me/notifications"
    assert (await c.get(me, headers=alice)).json() == {
        "channel": "",
        "finished": False,
        "stopped": False,
        "free_socket": False,
        "sheds": [],
    }
    body = {
        "channel": "json://127.0.0.1:9/alice",
        "finished": True,
        "stopped": True,
        "free_socket": True,
        "sheds": [SHED],
    }
    r = await c.put(me, json=body, headers=alice)
    assert r.status_code == 200 and r.json() == body
    assert (await c.get(me, headers=alice)).json() == body
    assert (await c.get(me, headers=bob)).json()["channel"] == ""  # never another resident's
    r = await c.put(me, json={**body, "channel": "nosuch://x"}, headers=alice)
    assert r.status_code == 422 and "Apprise" in r.json()["detail"]
    r = await c.put(me, json={**body, "sheds": ["shed-b"]}, headers=alice)
    assert r.status_code == 422 and "shed-b" in r.json()["detail"]
    for headers in (admin, operator, security, installer):
        assert (await c.get(me, headers=headers)).status_code == 403
    assert (await c.put(me, json=body)).status_code == 401


async def test_sessions_by_role_and_qr_import(api: tuple[httpx.AsyncClient, Any, ScriptedEdge]) -> None:
    c, (settings, app), _edge = api
    admin, operator = who(settings, "admin", user="adm"), who(settings, "operator", user="op")
    security, installer = who(settings, "security", user="sec"), who(settings, "installer", user="inst")
    alice, bob = who(settings, "resident", user="alice"), who(settings, "resident", user="bob")
    carol_c2 = who(settings, "resident", "c2", user="carol")
    everywhere = bearer(settings, "admin", communities=(), user_id="root", everywhere=True)
    await c.put("/api/v1/communities/c1/tariff", json=TARIFF, headers=admin)
    for user in ("alice", "bob"):
        await c.post(
            f"/api/v1/residents/{user}/wallet/credits", json={"amount_fen": 1000, "community": "c1"}, headers=operator
        )
    await c.post("/api/v1/residents/alice/wallet/credits", json={"amount_fen": 100_000}, headers=operator)

    # Start: residents of the shed's community only.
    start = {"qr": "shed-a-post-1-2", "limit_s": 3600}
    assert (await c.post("/api/v1/sessions", json=start)).status_code == 401
    for headers in (admin, operator, security, installer, carol_c2):
        assert (await c.post("/api/v1/sessions", json=start, headers=headers)).status_code == 403
    r = await c.post("/api/v1/sessions", json={"qr": "nope-1"}, headers=alice)
    assert r.status_code == 404 and r.json()["detail"]["code"] == "unknown_qr"
    assert (await c.post("/api/v1/sessions", json={**start, "limit_wh": 100}, headers=alice)).status_code == 422
    r = await c.post("/api/v1/sessions", json={"qr": "shed-o-post-1-1"}, headers=alice)
    assert r.status_code == 409 and r.json()["detail"]["code"] == "open_shed"
    r = await c.post("/api/v1/sessions", json={"qr": "shed-c-post-1-1"}, headers=alice)  # never heard from
    assert r.status_code == 409 and r.json()["detail"]["code"] == "socket_unknown"
    r = await c.post("/api/v1/sessions", json=start, headers=alice)
    assert r.status_code == 201, r.text
    session = r.json()
    assert (session["status"], session["user_id"], session["shed"], session["socket"]) == ("active", "alice", SHED, 2)
    # 1,010 yuan at 0.6 yuan/kWh would afford 1.7 MWh: the edge is sent at most the command's 20 kWh.
    assert session["limit"] == {"max_s": 3600, "max_wh": 20_000} and session["tariff_version"] == 1
    r = await c.post("/api/v1/sessions", json=start, headers=bob)
    assert r.status_code == 409 and r.json()["detail"]["code"] == "socket_busy"
    r = await c.post("/api/v1/sessions", json={"qr": "shed-a-post-1-4"}, headers=bob)  # the edge refuses socket 4
    assert r.status_code == 201 and r.json()["status"] == "ended" and r.json()["end_reason"] == "refused"
    sid, path = session["id"], f"/api/v1/sessions/{session['id']}"

    # Read: the owner, admin and operator of c1; never another resident, security, installer, other communities.
    assert (await c.get(path, headers=alice)).json()["id"] == sid
    for headers in (operator, admin, everywhere):
        assert (await c.get(path, headers=headers)).status_code == 200
    for headers in (bob, security, installer, carol_c2, who(settings, "operator", "c2", user="op2")):
        assert (await c.get(path, headers=headers)).status_code == 403
    assert (await c.get(path)).status_code == 401
    assert (await c.get("/api/v1/sessions/s-unknown", headers=operator)).status_code == 404

    # Lists: a resident sees only their own; staff their communities'.
    assert [s["id"] for s in (await c.get("/api/v1/sessions", headers=alice)).json()] == [sid]
    assert all(s["user_id"] == "bob" for s in (await c.get("/api/v1/sessions?mine=true", headers=bob)).json())
    assert len((await c.get("/api/v1/sessions", headers=operator)).json()) == 2
    assert len((await c.get("/api/v1/sessions?status=active", headers=operator)).json()) == 1
    assert len((await c.get("/api/v1/sessions", headers=everywhere)).json()) == 2
    assert (await c.get("/api/v1/sessions", headers=who(settings, "operator", "c2", user="op2"))).json() == []
    assert (await c.get("/api/v1/sessions?community=c1", headers=who(settings, "operator", "c2"))).status_code == 403
    for headers in (security, installer):
        assert (await c.get("/api/v1/sessions", headers=headers)).status_code == 403

    # Stop: never another resident; security staff may (staff stop); the edge ends it "stopped".
    assert (await c.post(f"{path}/stop", headers=bob)).status_code == 403
    assert (await c.post(f"{path}/stop", headers=installer)).status_code == 403
    r = await c.post(f"{path}/stop", headers=security)
    assert r.status_code == 200 and r.json()["stop_requested_by"] == "staff"
    ended = await asyncio.to_thread(
        wait_until, lambda: app.state.charging.service._row(sid).session.ended_ms, timeout=15, what="the edge's end"
    )
    assert ended
    final = (await c.get(path, headers=alice)).json()
    assert (final["status"], final["end_reason"], final["charged_fen"]) == ("ended", "staff_stop", final["cost_fen"])
    assert (await c.post(f"{path}/stop", headers=alice)).json()["status"] == "ended"  # idempotent
    actions = {(e.action, e.outcome, e.actor) for e in audited(app, "session.stop") + audited(app, "session.start")}
    assert {
        ("session.stop", "ok", "sec"),
        ("session.start", "ok", "alice"),
        ("session.stop", "refused", "bob"),
    } <= actions

    # QR ids: inventory readers list them; admin / installer import; the imported id starts a session.
    qr = f"/api/v1/sheds/{SHED}/qr-codes"
    codes = (await c.get(qr, headers=installer)).json()["codes"]
    assert codes[0] == {"qr": "shed-a-post-1-1", "device": "post-1", "socket": 1} and len(codes) == 4
    assert (await c.get(qr, headers=alice)).status_code == 403
    new = {"codes": [{"qr": "STICKER-7", "device": "post-1", "socket": 3}]}
    assert (await c.put(qr, json=new, headers=operator)).status_code == 403
    bad = {"codes": [{"qr": "X", "device": "post-1", "socket": 9}]}
    assert (await c.put(qr, json=bad, headers=installer)).status_code == 422
    r = await c.put(qr, json=new, headers=installer)
    assert r.status_code == 200 and {"qr": "STICKER-7", "device": "post-1", "socket": 3} in r.json()["codes"]
    r = await c.post("/api/v1/sessions", json={"qr": "STICKER-7", "limit_wh": 100}, headers=bob)
    assert r.status_code == 201 and r.json()["socket"] == 3 and r.json()["qr"] == "STICKER-7"
    r = await c.post("/api/v1/sessions", json={"qr": "shed-a-post-1-3"}, headers=bob)
    assert r.status_code == 404  # overridden


async def test_with_charging_off_only_sessions_are_unavailable(tmp_path: Path) -> None:
    settings = CloudSettings(data_dir=tmp_path, ingest=False, alarms=False, charging=False, environment="development")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        admin, alice = who(settings, "admin", user="adm"), who(settings, "resident", user="alice")
        assert (await c.put("/api/v1/communities/c1/tariff", json=TARIFF, headers=admin)).status_code == 200
        assert (await c.get("/api/v1/communities/c1/tariff")).json()["version"] == 1
        assert (await c.get("/api/v1/wallet", headers=alice)).json()["balance_fen"] == 0
        r = await c.post("/api/v1/sessions", json={"qr": "shed-a-post-1-1"}, headers=alice)
        assert r.status_code == 503 and "turned off" in r.json()["detail"]
