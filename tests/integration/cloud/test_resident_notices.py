"""A resident's notices in the real outbox (SQLite and PostgreSQL) and the real notifier: a dead channel is given
up after a bounded number of tries, and pending notices follow the channel the resident saves (or are given up
when removed).
"""

import pytest
from sqlalchemy import select

from cloud.alarms.repo import AlarmRepo
from cloud.charging.repo import ChargingRepo, NotifySettings
from cloud.core.notify.policy import NOTICE_MAX_ATTEMPTS
from cloud.notify.worker import Notifier
from cloud.state.alarm_schema import alerts
from cloud.state.store import StateStore
from shedwatch.ports import free_port
from shedwatch.webhook_receiver import HttpReceiver

pytestmark = pytest.mark.integration
NOW = 1_767_225_600_000


def queue(store: StateStore, session: str, target: str, now: int = NOW) -> None:
    with store.engine.begin() as conn:
        assert AlarmRepo(conn, sqlite=store.is_sqlite).enqueue(
            incident=session, step="finished", person="alice", target=target, title="Done", body="b", now=now
        )


def rows(store: StateStore) -> dict[str, tuple[str, str, int]]:
    with store.engine.connect() as conn:
        found = conn.execute(select(alerts.c.incident, alerts.c.status, alerts.c.target, alerts.c.attempts))
        return {r.incident: (r.status, r.target, r.attempts) for r in found}


def test_a_notice_to_a_dead_channel_is_given_up_and_pending_ones_follow_a_new_channel(store: StateStore) -> None:
    dead = f"json://127.0.0.1:{free_port()}/alice"  # nothing listens: every try fails and is retried
    receiver = HttpReceiver().up()
    notifier = Notifier(store.engine, sqlite=store.is_sqlite)
    try:
        queue(store, "s-1", dead)
        now = NOW
        for _ in range(3 * NOTICE_MAX_ATTEMPTS):  # 10 simulated minutes a pass: always due again
            notifier.run_once(now)
            now += 600_000
        status, _, attempts = rows(store)["s-1"]
        assert status == "failed" and attempts <= NOTICE_MAX_ATTEMPTS and notifier.stats.given_up == 1

        # The resident fixes the channel: what is still pending goes there, tried again at once.
        queue(store, "s-2", dead, now)
        queue(store, "s-3", dead, now)
        notifier.run_once(now)
        good = f"json://127.0.0.1:{receiver.port}/alice"
        with store.engine.begin() as conn:
            ChargingRepo(conn, sqlite=store.is_sqlite).save_notify_settings(
                "alice", NotifySettings(good, True), now_ms=now
            )
        assert rows(store)["s-2"] == ("pending", good, 0) and rows(store)["s-1"][1] == dead  # given up stays
        notifier.run_once(now)
        assert rows(store)["s-2"][0] == rows(store)["s-3"][0] == "delivered" and len(receiver.accepted) == 2

        # Removing the channel gives up what is pending.
        queue(store, "s-4", good.replace(str(receiver.port), str(free_port())), now)
        with store.engine.begin() as conn:
            ChargingRepo(conn, sqlite=store.is_sqlite).save_notify_settings("alice", NotifySettings(), now_ms=now)
        assert rows(store)["s-4"][0] == "failed"
    finally:
        notifier.close()
        receiver.down()
