"""A bike left after full: staff hear of it after the resident's 3 reminders when the charging service knows the
session's owner, after one interval when nobody is known (an open shed). Real SQLite and PostgreSQL stores."""

import pytest
from sqlalchemy import insert

from cloud.alarms.repo import AlarmRepo
from cloud.core.alarms.rules import BIKE_LEFT, RulePolicy, evaluate
from cloud.state.charging_schema import charging_sessions
from cloud.state.schema import sockets
from cloud.state.store import StateStore
from protocol.config import PostSpec, ShedConfig
from tests.integration.cloud.conftest import store  # noqa: F401 - the SQLite / PostgreSQL fixture

pytestmark = pytest.mark.integration
T0 = 1_767_225_600_000
INTERVAL_MS = int(RulePolicy().reminder_interval_s * 1000)


def _session(sid: str, socket: int, *, end_reason: str, requested: int, ended: int) -> dict[str, object]:
    return {
        "id": sid,
        "user_id": f"resident-{sid}",
        "community": "default",
        "qr": f"qr-{sid}",
        "shed": "shed-a",
        "device": "post-1",
        "socket": socket,
        "status": "ended",
        "end_reason": end_reason,
        "tariff_version": 1,
        "requested_ms": requested,
        "ended_ms": ended,
        "updated_ms": ended,
        "body": "{}",
    }


def test_a_full_sockets_owner_comes_from_the_session_that_ended_full(store: StateStore) -> None:  # noqa: F811
    store.register_shed(ShedConfig(shed="shed-a", posts=[PostSpec(id="post-1", sockets=4)]))
    full_at = T0
    with store.engine.begin() as conn:
        for n in (1, 2, 3):
            conn.execute(
                insert(sockets).values(shed="shed-a", device="post-1", socket=n, status="full", seq=n, ts=full_at)
            )
        # socket 1: the newest session ended full (its resident is reminded); socket 2: the newest ended otherwise
        conn.execute(
            insert(charging_sessions).values(**_session("s1", 1, end_reason="full", requested=T0 - 9, ended=T0))
        )
        conn.execute(
            insert(charging_sessions).values(**_session("s2a", 2, end_reason="full", requested=T0 - 90, ended=T0 - 50))
        )
        conn.execute(
            insert(charging_sessions).values(**_session("s2b", 2, end_reason="resident", requested=T0 - 9, ended=T0))
        )
    now = full_at + INTERVAL_MS  # the second reminder is due: no owner means staff now
    with store.engine.begin() as conn:
        facts = AlarmRepo(conn, sqlite=store.is_sqlite).facts("shed-a", now, crowded=False)
    assert {k: f.owner for k, f in facts.full_sockets.items()} == {
        ("post-1", 1): "resident-s1",
        ("post-1", 2): None,
        ("post-1", 3): None,
    }
    staff = sorted(k.socket for k in evaluate(facts, now) if k.alarm_type == BIKE_LEFT)
    assert staff == [2, 3]
    later = full_at + 3 * INTERVAL_MS  # the third reminder has gone to the resident of socket 1: staff now
    assert sorted(k.socket for k in evaluate(facts, later) if k.alarm_type == BIKE_LEFT) == [1, 2, 3]
