"""The charging tables on SQLite and PostgreSQL: tariff versions, QR ids, sessions, wallet debits once, settings."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from cloud.charging.repo import ChargingRepo, NotifySettings, default_qr
from cloud.charging.tariff_spec import TariffSpec
from cloud.core.charging.model import EndReason, Limit, Session, SessionStatus, SocketRef
from cloud.core.charging.policy import SessionPolicy
from cloud.core.charging.wallet import credit
from cloud.state.charging_schema import wallet_ledger
from cloud.state.store import StateStore
from protocol.config import PostSpec, ShedConfig
from tests.integration.cloud.helpers import T0, batch_of
from tests.integration.cloud.postgres import fresh_schema

pytestmark = pytest.mark.integration
TARIFF = TariffSpec.model_validate({"schedule": [{"start": "00:00", "period": "flat"}], "per_kwh": {"flat": 0.5}})
REF = SocketRef("shed-a", "post-1", 2)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    def opened(url: str) -> StateStore:
        s = StateStore(url)
        s.migrate()
        s.register_shed(ShedConfig(shed="shed-a", community="c1", posts=[PostSpec(id="post-1", sockets=4)]))
        return s

    if request.param == "sqlite":
        s = opened(f"sqlite:///{tmp_path / 'state.db'}")
        yield s
        s.close()
        return
    with fresh_schema() as url:
        s = opened(url)
        yield s
        s.close()


def repo(conn: Connection, store: StateStore) -> ChargingRepo:
    return ChargingRepo(conn, sqlite=store.is_sqlite)


def test_tariffs_are_versioned_and_an_old_version_stays_readable(store: StateStore) -> None:
    with store.engine.begin() as conn:
        r = repo(conn, store)
        assert r.latest_tariff("c1") is None
        assert r.save_tariff("c1", TARIFF, actor="admin", now_ms=T0) == 1
        dearer = TariffSpec.model_validate({**TARIFF.model_dump(), "per_kwh": {"flat": 0.9}})
        assert r.save_tariff("c1", dearer, actor="admin", now_ms=T0 + 1) == 2
    with store.engine.connect() as conn:
        r = repo(conn, store)
        version, newest = r.latest_tariff("c1") or (0, None)
        assert version == 2 and newest is not None and list(newest.per_kwh.values()) == [0.9]
        assert list(r.tariff("c1", 1).per_kwh.values()) == [0.5]
        with pytest.raises(KeyError):
            r.tariff("c1", 3)


def test_qr_ids_default_to_shed_device_socket_and_an_import_overrides_them(store: StateStore) -> None:
    with store.engine.begin() as conn:
        r = repo(conn, store)
        assert default_qr(REF) == "shed-a-post-1-2"
        assert r.resolve_qr("shed-a-post-1-2") == REF
        assert r.resolve_qr("shed-a-post-1-5") is None  # the post has 4 sockets
        assert r.resolve_qr("shed-a-post-1-x") is None
        assert r.set_qr("shed-a", [("STICKER-0042", REF)]) == 1
        assert r.resolve_qr("STICKER-0042") == REF
        assert r.resolve_qr("shed-a-post-1-2") is None  # overridden: the default no longer names it
        assert r.qr_of(REF) == "STICKER-0042" and r.qr_of(SocketRef("shed-a", "post-1", 1)) == "shed-a-post-1-1"
        assert r.set_qr("shed-a", []) == 0
        assert r.resolve_qr("shed-a-post-1-2") == REF


def _session(sid: str = "s-1", cost: float = 0.0, status: SessionStatus = SessionStatus.REQUESTED) -> Session:
    return Session(sid, "alice", "c1", "shed-a-post-1-2", REF, Limit(max_s=3600), T0, status=status, cost_yuan=cost)


def test_sessions_are_stored_listed_and_one_open_session_per_socket_is_found(store: StateStore) -> None:
    with store.engine.begin() as conn:
        r = repo(conn, store)
        r.insert_session(_session("s-1"), tariff_version=1, now_ms=T0)
    with store.engine.begin() as conn:
        r = repo(conn, store)
        row = r.session("s-1", lock=True)
        assert row is not None and row.session == _session("s-1") and row.tariff_version == 1
        ended = row.session.evolve(
            status=SessionStatus.ENDED, end_reason=EndReason.FULL, ended_ms=T0 + 9, energy_wh=12.5
        )
        r.save_session(ended, now_ms=T0 + 9, stop_by="resident", reminders=2)
        r.insert_session(_session("s-2").evolve(user_id="bob", requested_ms=T0 + 5), tariff_version=1, now_ms=T0)
    with store.engine.connect() as conn:
        r = repo(conn, store)
        row = r.session("s-1")
        assert row is not None and row.session == ended and (row.stop_by, row.reminders) == ("resident", 2)
        assert [x.session.session_id for x in r.sessions(user_id="alice")] == ["s-1"]
        assert [x.session.session_id for x in r.sessions(communities=["c1"])] == ["s-2", "s-1"]
        assert r.sessions(communities=["c2"]) == []
        assert [x.session.session_id for x in r.sessions(status="ended")] == ["s-1"]
        busy = r.open_session_on(REF)
        assert busy is not None and busy.session.session_id == "s-2"
        assert [x.session.session_id for x in r.open_sessions()] == ["s-2"]
        assert [x.session.session_id for x in r.ended_full_to_remind(2, T0)] == []  # 2 reminders queued already
        assert [x.session.session_id for x in r.ended_full_to_remind(3, T0)] == ["s-1"]
        assert r.ended_full_to_remind(3, T0 + 10) == []  # ended before the window


def test_one_session_that_has_not_ended_per_socket(store: StateStore) -> None:
    with store.engine.begin() as conn:
        repo(conn, store).insert_session(_session("s-1"), tariff_version=1, now_ms=T0)
    with pytest.raises(IntegrityError), store.engine.begin() as conn:  # two residents scanned it at once
        repo(conn, store).insert_session(_session("s-2"), tariff_version=1, now_ms=T0)
    with store.engine.begin() as conn:
        r = repo(conn, store)
        r.save_session(_session("s-1", status=SessionStatus.ENDED), now_ms=T0)
        r.insert_session(_session("s-2"), tariff_version=1, now_ms=T0)  # the socket is free for a new one
        r.save_session(_session("s-2", status=SessionStatus.ENDED), now_ms=T0)
        r.insert_session(_session("s-3"), tariff_version=1, now_ms=T0)


def test_a_session_is_debited_once_in_integer_fen_never_below_zero(store: StateStore) -> None:
    with store.engine.begin() as conn:
        r = repo(conn, store)
        balance = credit(0, 150, SessionPolicy())
        r.credit("alice", "c1", balance, 150, ts_ms=T0, actor="op", note="cash at the desk")
        first = r.debit_session(_session("s-1", cost=0.1 + 0.2), now_ms=T0 + 1)  # 0.30000000000000004 yuan
        assert first is not None and (first.charged_fen, first.balance_fen) == (30, 120)
        assert r.debit_session(_session("s-1", cost=0.3), now_ms=T0 + 2) is None  # a replay: nothing more
        over = r.debit_session(_session("s-2", cost=1.5), now_ms=T0 + 3)
        assert over is not None and (over.charged_fen, over.unpaid_fen, over.balance_fen) == (120, 30, 0)
    with store.engine.connect() as conn:
        r = repo(conn, store)
        wallet = r.wallet("alice")
        assert wallet is not None and (wallet.balance_fen, wallet.unpaid_fen) == (0, 30)
        lines = r.ledger("alice")
        assert [(x.kind, x.amount_fen, x.balance_fen, x.session) for x in lines] == [
            ("debit", 120, 0, "s-2"),
            ("debit", 30, 120, "s-1"),
            ("credit", 150, 150, None),
        ]
        assert r.wallet("nobody") is None
    with pytest.raises(IntegrityError), store.engine.begin() as conn:  # the table itself refuses a second debit
        conn.execute(
            wallet_ledger.insert().values(
                user_id="alice", ts_ms=T0, kind="debit", amount_fen=1, balance_fen=0, session="s-1", actor="x"
            )
        )


def test_notification_settings_and_free_socket_watchers(store: StateStore) -> None:
    with store.engine.begin() as conn:
        r = repo(conn, store)
        assert r.notify_settings("alice") == NotifySettings()
        r.save_notify_settings(
            "alice", NotifySettings("json://127.0.0.1:9/x", True, False, True, ("shed-a",)), now_ms=T0
        )
        r.save_notify_settings(
            "bob", NotifySettings("json://127.0.0.1:9/y", False, False, False, ("shed-a",)), now_ms=T0
        )
        assert r.watchers("shed-a") == [("alice", "json://127.0.0.1:9/x", 0)]  # bob did not opt in
        r.watched("alice", "shed-a", T0 + 5)
        assert r.watchers("shed-a") == [("alice", "json://127.0.0.1:9/x", T0 + 5)]
        r.save_notify_settings(
            "alice", NotifySettings("json://127.0.0.1:9/x", True, True, True, ("shed-a",)), now_ms=T0
        )
        assert r.watchers("shed-a")[0][2] == T0 + 5  # a shed kept keeps its last notice time
        r.save_notify_settings("alice", NotifySettings("", False, False, True, ()), now_ms=T0)
        assert r.watchers("shed-a") == [] and r.notify_settings("alice").sheds == ()


def test_stored_session_events_are_listed_until_applied(store: StateStore) -> None:
    from protocol.uplink import SessionEnded, SessionEndReason, SessionMeter, SessionStarted

    started = SessionStarted(src="shed-a", seq=1, ts=T0, session="s-1", device="post-1", socket=2, limit_s=3600)
    meter = SessionMeter(
        src="shed-a", seq=2, ts=T0 + 60_000, session="s-1", device="post-1", socket=2, energy_wh=3, duration_s=60
    )
    ended = SessionEnded(
        src="shed-a",
        seq=3,
        ts=T0 + 90_000,
        session="s-1",
        device="post-1",
        socket=2,
        energy_wh=4,
        duration_s=90,
        reason=SessionEndReason.FULL,
    )
    store.write(batch_of(started, meter, ended))
    types = ("session_started", "session_meter", "session_ended")
    with store.engine.begin() as conn:
        r = repo(conn, store)
        got = r.unapplied_session_events(types, 10)
        assert [(e.seq, e.type) for e in got] == [(1, "session_started"), (2, "session_meter"), (3, "session_ended")]
        assert got[2].body["reason"] == "full" and got[1].body["energy_wh"] == 3
        r.mark_applied("shed-a", 1)
        assert [e.seq for e in r.unapplied_session_events(types, 10)] == [2, 3]
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        repo(conn, store).mark_applied("shed-a", 1)
