"""The session service in a running cloud (real mosquitto, ingest, alarm notifier, HTTP receiver), with a scripted
edge on the broker: start by QR id, billing and one debit, notices and reminders, stop, refusal, free socket."""

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cloud.api.app import create_app
from cloud.charging.repo import ChargingRepo, NotifySettings
from cloud.charging.service import ChargingRefused
from cloud.charging.tariff_spec import TariffSpec
from cloud.core.charging.model import EndReason, Limit, SessionStatus
from cloud.core.events import SessionChanged
from cloud.settings import CloudSettings
from cloud.state.alarm_schema import alerts
from protocol.config import PostSpec, ShedConfig
from protocol.uplink import (
    SessionEndReason,
    SessionMeter,
    SocketStatus,
)
from shedwatch.mosquitto import Mosquitto
from shedwatch.webhook_receiver import HttpReceiver
from tests.integration.cloud.helpers import birth, operator, status
from tests.integration.cloud.postgres import fresh_schema
from tests.integration.cloud.session_edge import SHED, ScriptedEdge, ended
from tests.waiting import wait_until

pytestmark = pytest.mark.integration
# One flat price all day: 0.80 yuan per kWh.
TARIFF = TariffSpec.model_validate({"schedule": [{"start": "00:00", "period": "flat"}], "per_kwh": {"flat": 0.8}})


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    r = HttpReceiver().up()
    yield r
    r.down()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        yield ""
        return
    with fresh_schema() as url:
        yield url


async def test_sessions_bill_debit_notify_and_stop_through_a_running_cloud(
    tmp_path: Path, mosquitto: Mosquitto, receiver: HttpReceiver, state_url: str
) -> None:
    settings = CloudSettings(
        data_dir=tmp_path,
        state_url=state_url,
        broker=mosquitto.url,
        charging_tick_s=0.1,
        alarm_tick_s=0.2,
        charging_reminders=2,
        charging_reminder_s=1.0,
        charging_free_notice_s=600,
    )
    app = create_app(settings)
    edge = ScriptedEdge(mosquitto.port, refuse_socket=4)
    seen: list[SessionChanged] = []
    try:
        async with app.router.lifespan_context(app):
            cloud, charging = app.state.cloud, app.state.charging
            cloud.bus.subscribe(seen.append, name="test", kinds=(SessionChanged,))
            store, service = cloud.stores.state, charging.service
            store.import_inventory(
                ShedConfig(shed=SHED, community="c1", mode="authorised", posts=[PostSpec(id="post-1", sockets=4)]),
                actor="test",
                now_ms=cloud.clock.now_ms(),
            )
            sockets = {("post-1", n): SocketStatus.PLUGGED for n in (1, 2, 3, 4)}
            edge.send(lambda seq: birth(SHED, seq, sockets))
            wait_until(lambda: cloud.live.socket(SHED, "post-1", 4), timeout=15, what="the birth in live state")
            await asyncio.to_thread(
                wait_until, lambda: service.sender and service.sender._connected.is_set(), timeout=15
            )
            qr = "shed-a-post-1-2"
            _ref, community = service.locate(qr)
            assert community == "c1"

            def start(q: str, socket: int) -> Any:
                r, c = service.locate(q)
                return service.start(user_id="alice", qr=q, ref=r, community=c, limit=Limit(max_wh=500))

            with pytest.raises(ChargingRefused) as refused:
                await asyncio.to_thread(start, qr, 2)
            assert refused.value.code == "no_tariff"
            with store.engine.begin() as conn:
                repo = ChargingRepo(conn, sqlite=store.is_sqlite)
                repo.save_tariff("c1", TARIFF, actor="admin", now_ms=0)
            with pytest.raises(ChargingRefused) as refused:
                await asyncio.to_thread(start, qr, 2)
            assert (refused.value.code, refused.value.status) == ("insufficient_balance", 402)
            with store.engine.begin() as conn:
                repo = ChargingRepo(conn, sqlite=store.is_sqlite)
                repo.credit("alice", "c1", 1000, 1000, ts_ms=0, actor="op", note="")
                repo.save_notify_settings(
                    "alice",
                    NotifySettings(f"json://127.0.0.1:{receiver.port}/alice", True, True, True, (SHED,)),
                    now_ms=0,
                )

            # 1. Start: the edge confirms, the session is active, the limit the wallet pays for is sent.
            row = await asyncio.to_thread(start, qr, 2)
            sid = row.session.session_id
            assert row.session.status is SessionStatus.ACTIVE
            sent = next(c for c in edge.commands if c.action == "start_session")
            assert (sent.session, sent.device, sent.socket, sent.limit_wh) == (sid, "post-1", 2, 500)
            with pytest.raises(ChargingRefused) as refused:
                await asyncio.to_thread(start, qr, 2)
            assert refused.value.code == "socket_busy"

            # 2. The edge meters and ends it full: billed what it metered at 0.80 yuan/kWh, debited once.
            t = cloud.clock.now_ms()  # the edge's clock agrees with the cloud's
            edge.send(
                lambda seq: SessionMeter(
                    src=SHED,
                    seq=seq,
                    ts=t + 1,
                    session=sid,
                    device="post-1",
                    socket=2,
                    energy_wh=150.0,
                    duration_s=60,
                )
            )
            edge.send(lambda seq: status(SHED, seq, "post-1", 2, SocketStatus.FULL, ts=t + 2))
            edge.send(lambda seq: ended(seq, sid, 2, 250.0, SessionEndReason.FULL, t + 3))
            done = await asyncio.to_thread(
                wait_until,
                lambda: (r := service._row(sid)) and r.session.status is SessionStatus.ENDED and r,
                timeout=15,
                what="the end",
            )
            assert done.session.end_reason is EndReason.FULL and done.session.energy_wh == pytest.approx(250.0)
            assert (done.charged_fen, done.unpaid_fen) == (20, 0)  # 0.25 kWh x 0.80 = 0.20 yuan
            charging.runner.run_once()  # applying again finds nothing new
            with store.engine.connect() as conn:
                wallet = ChargingRepo(conn, sqlite=store.is_sqlite).wallet("alice")
            assert wallet is not None and wallet.balance_fen == 980

            # 3. The resident hears "finished" then two reminders while the bike stays (1 s apart here).
            texts = await asyncio.to_thread(
                wait_until, lambda: len(receiver.accepted) >= 3 and receiver.accepted, timeout=20, what="notices"
            )
            titles = [m["title"] for m in texts]
            assert titles[:3] == [
                "Charging finished: please move your bike",
                "Reminder: please move your bike",
                "Reminder: please move your bike",
            ]
            assert f"Ref: {sid}" in texts[0]["message"] and "0.20 yuan" in texts[0]["message"]

            # 4. Taken away: the socket frees, the watcher hears once.
            edge.send(lambda seq: status(SHED, seq, "post-1", 2, SocketStatus.FREE, ts=cloud.clock.now_ms()))
            await asyncio.to_thread(
                wait_until,
                lambda: any(m["title"].startswith("A socket is free") for m in receiver.accepted),
                timeout=15,
                what="free",
            )
            # Another bike comes and goes within the rate limit (600 s here): no second notice.
            edge.send(lambda seq: status(SHED, seq, "post-1", 2, SocketStatus.PLUGGED, ts=cloud.clock.now_ms()))
            edge.send(lambda seq: status(SHED, seq, "post-1", 2, SocketStatus.FREE, ts=cloud.clock.now_ms() + 1))
            await asyncio.to_thread(
                wait_until, lambda: cloud.live.socket(SHED, "post-1", 2)[0].seq >= edge.seq, timeout=15, what="freed"
            )
            charging.runner.run_once()
            await asyncio.sleep(0.5)  # the notifier's tick
            with store.engine.connect() as conn:
                queued = conn.execute(select(alerts.c.step).where(alerts.c.incident == f"free-{SHED}")).all()
            assert len(queued) == 1, queued
            assert len([m for m in receiver.accepted if m["title"].startswith("A socket is free")]) == 1

            # 5. Stop by the resident: the edge ends it "stopped", billed to its final reading.
            second = await asyncio.to_thread(start, "shed-a-post-1-3", 3)
            stopped = await asyncio.to_thread(service.stop, second.session.session_id, by_staff=False, actor="alice")
            assert stopped.stop_by == "resident"
            final = await asyncio.to_thread(
                wait_until,
                lambda: (r := service._row(second.session.session_id)) and not r.session.open and r,
                timeout=15,
                what="stop",
            )
            assert final.session.end_reason is EndReason.RESIDENT_STOP and final.charged_fen == 3  # 40 Wh: 0.032 yuan

            # 6. The edge refuses: the session ends "refused", nothing billed, the resident is told in plain words
            # (the edge's detail is staff wording: kept on the session and in the audit, not in the notice).
            third = await asyncio.to_thread(start, "shed-a-post-1-4", 4)
            assert third.session.end_reason is EndReason.REFUSED and third.session.end_detail == "socket 4 is tripped"
            assert third.charged_fen == 0
            why = await asyncio.to_thread(
                wait_until,
                lambda: [m for m in receiver.accepted if "did not switch this socket on" in m["message"]],
                timeout=15,
                what="why",
            )
            assert "tripped" not in why[0]["message"]
            assert (
                len([m for m in receiver.accepted if m["title"].startswith("Charging finished")]) == 1
            )  # never doubled
            assert {e.status for e in seen if e.session_id == sid} == {"requested", "active", "ended"}
            assert any(e.end_reason == "full" and e.energy_wh == pytest.approx(250.0) for e in seen)
    finally:
        edge.close()


async def test_an_unanswered_start_ends_not_confirmed_and_a_silent_edge_past_the_limit_is_cut(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    settings = CloudSettings(
        data_dir=tmp_path,
        broker=mosquitto.url,
        alarms=False,
        charging_tick_s=0.1,
        charging_confirm_timeout_s=1.0,
        charging_command_timeout_s=0.3,
        charging_max_session_s=2.0,
        charging_edge_grace_s=0.5,
    )
    app = create_app(settings)
    edge = ScriptedEdge(mosquitto.port, refuse_socket=4, silent_socket=1)
    try:
        async with app.router.lifespan_context(app):
            cloud, service = app.state.cloud, app.state.charging.service
            store = cloud.stores.state
            store.import_inventory(
                ShedConfig(shed=SHED, community="c1", mode="authorised", posts=[PostSpec(id="post-1", sockets=4)]),
                actor="test",
                now_ms=cloud.clock.now_ms(),
            )
            edge.send(lambda seq: birth(SHED, seq, {("post-1", n): SocketStatus.PLUGGED for n in (1, 2)}))
            with store.engine.begin() as conn:
                repo = ChargingRepo(conn, sqlite=store.is_sqlite)
                repo.save_tariff("c1", TARIFF, actor="admin", now_ms=0)
                repo.credit("alice", "c1", 1000, 1000, ts_ms=0, actor="op", note="")
            await asyncio.to_thread(
                wait_until,
                lambda: cloud.live.socket(SHED, "post-1", 1) and service.sender and service.sender._connected.is_set(),
                timeout=15,
            )
            ref, community = service.locate("shed-a-post-1-1")
            row = await asyncio.to_thread(
                lambda: service.start(
                    user_id="alice", qr="shed-a-post-1-1", ref=ref, community=community, limit=Limit(max_s=600)
                )
            )
            assert row.session.status is SessionStatus.REQUESTED  # no answer within the command timeout
            sid = row.session.session_id
            final = await asyncio.to_thread(
                wait_until, lambda: (r := service._row(sid)) and not r.session.open and r, timeout=15, what="timeout"
            )
            assert final.session.end_reason is EndReason.NOT_CONFIRMED and final.charged_fen == 0
            # When in doubt, cut: the edge is told to stop the session in case it energised late.
            await asyncio.to_thread(
                wait_until,
                lambda: [c for c in edge.commands if c.action == "stop_session" and c.session == sid],
                timeout=15,
                what="the cut",
            )
            # The edge confirms the next one but then says nothing: past its limit (2 s) and the grace the cloud
            # gives the edge's own end (0.5 s), the cloud ends it and tells the edge to stop.
            ref2, _ = service.locate("shed-a-post-1-2")
            second = await asyncio.to_thread(
                lambda: service.start(
                    user_id="alice", qr="shed-a-post-1-2", ref=ref2, community=community, limit=Limit(max_s=600)
                )
            )
            assert second.session.limit.max_s == 2.0  # capped by the longest session
            sid2 = second.session.session_id
            ended = await asyncio.to_thread(
                wait_until, lambda: (r := service._row(sid2)) and not r.session.open and r, timeout=15, what="limit"
            )
            assert ended.session.end_reason is EndReason.TIME_LIMIT
            assert ended.session.ended_ms - ended.session.active_ms >= 2_500
            await asyncio.to_thread(
                wait_until,
                lambda: [c for c in edge.commands if c.action == "stop_session" and c.session == sid2],
                timeout=15,
                what="the second cut",
            )
            # The edge comes back still running the session the cloud ended (it resumed it after a restart, the
            # stop having expired): its meter reading draws the stop again, and repeats are rate-limited.
            service.options = replace(service.options, recut_every_s=0.0)

            def stops() -> int:
                return len([c for c in list(edge.commands) if c.action == "stop_session" and c.session == sid2])

            def meter(seq: int, wh: float) -> SessionMeter:
                t = cloud.clock.now_ms()
                return SessionMeter(
                    src=SHED, seq=seq, ts=t, session=sid2, device="post-1", socket=2, energy_wh=wh, duration_s=60
                )

            before = stops()
            edge.send(lambda seq: meter(seq, 3.5))
            await asyncio.to_thread(wait_until, lambda: stops() > before, timeout=15, what="the cut again")
            service.options = replace(service.options, recut_every_s=600.0)
            suppressed, again = service.stats.cuts_suppressed, stops()
            edge.send(lambda seq: meter(seq, 4.0))
            edge.send(lambda seq: meter(seq, 4.5))
            await asyncio.to_thread(
                wait_until, lambda: service.stats.cuts_suppressed >= suppressed + 2, timeout=15, what="suppressed"
            )
            assert stops() == again
            assert service._row(sid2).session.energy_wh == ended.session.energy_wh  # nothing billed after the end
    finally:
        edge.close()


async def test_a_start_socket_that_frees_a_socket_tells_the_residents_watching_the_shed(
    tmp_path: Path, mosquitto: Mosquitto, receiver: HttpReceiver
) -> None:
    settings = CloudSettings(
        data_dir=tmp_path, broker=mosquitto.url, charging_tick_s=0.1, alarm_tick_s=0.2, charging_free_notice_s=600
    )
    app = create_app(settings)
    edge = ScriptedEdge(mosquitto.port, refuse_socket=0)

    def freed() -> list[dict[str, Any]]:
        return [m for m in receiver.accepted if m["title"] == f"A socket is free in shed {SHED}"]

    try:
        async with app.router.lifespan_context(app):
            cloud, charging = app.state.cloud, app.state.charging
            store = cloud.stores.state
            store.import_inventory(
                ShedConfig(shed=SHED, community="c1", mode="authorised", posts=[PostSpec(id="post-1", sockets=2)]),
                actor="test",
                now_ms=cloud.clock.now_ms(),
            )
            with store.engine.begin() as conn:
                ChargingRepo(conn, sqlite=store.is_sqlite).save_notify_settings(
                    "alice",
                    NotifySettings(f"json://127.0.0.1:{receiver.port}/alice", False, False, True, (SHED,)),
                    now_ms=0,
                )
            # Socket 1 is plugged, socket 2 free but stopped by staff: nothing is free for a resident.
            edge.send(
                lambda seq: birth(SHED, seq, {("post-1", 1): SocketStatus.PLUGGED, ("post-1", 2): SocketStatus.FREE})
            )
            edge.send(lambda seq: operator(SHED, seq, "post-1", 2, stop=True, actor="op-li"))

            def stopped() -> bool:
                found = cloud.live.socket(SHED, "post-1", 2)
                return found is not None and found[0].stop is not None

            await asyncio.to_thread(wait_until, stopped, timeout=15, what="the stop")
            charging.runner.run_once()
            assert charging.free_count(SHED) == 0 and not freed()
            # start_socket lifts it: the socket is free now, the watcher hears of it once.
            edge.send(lambda seq: operator(SHED, seq, "post-1", 2, stop=False, actor="op-li"))
            got = await asyncio.to_thread(wait_until, freed, timeout=15, what="a socket is free")
            assert got[0]["message"] == f"1 socket is free in shed {SHED} now."
    finally:
        edge.close()
