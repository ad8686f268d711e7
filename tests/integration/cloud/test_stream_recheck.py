"""The recheck of open streams against the stored accounts (SQLite and PostgreSQL): a disabled, removed, re-roled
or re-communitied account's stream ends; an unchanged one and an anonymous one go on; one query per tick."""

import pytest
from sqlalchemy import delete

from cloud.auth.accounts import User
from cloud.core.access.roles import Role
from cloud.state import account_rows
from cloud.state.accounts_schema import memberships, users
from cloud.state.store import StateStore
from cloud.stream.hub import Hub
from cloud.stream.recheck import Recheck, store_lookup
from cloud.stream.standing import Ended

pytestmark = pytest.mark.integration


def _user(user_id: str, role: Role = Role.OPERATOR, community: str = "c1") -> User:
    return User(user_id, user_id, "", role, frozenset({community}), False, False, 0, "x")


async def test_streams_end_for_changed_accounts_only(store: StateStore) -> None:
    with store.engine.begin() as conn:
        account_rows.insert_community(conn, "c1", "")
        account_rows.insert_community(conn, "c2", "")
        for uid in ("same", "off", "gone", "moved", "demoted"):
            account_rows.insert(conn, _user(uid))
    hub = Hub(epoch=1)
    clients = {uid: hub.connect(_user(uid).principal(), None)[0] for uid in ("same", "off", "gone", "moved", "demoted")}
    anonymous, _ = hub.connect(None, None)
    recheck = Recheck(hub, store_lookup(store.engine))
    await recheck.once()
    assert len(hub.clients) == 6  # nothing changed yet
    with store.engine.begin() as conn:
        account_rows.update_user(conn, "off", disabled=True)
        account_rows.set_communities(conn, "moved", frozenset({"c2"}))
        account_rows.update_user(conn, "demoted", role=Role.SECURITY.value)
        conn.execute(delete(memberships).where(memberships.c.user_id == "gone"))  # no route removes one yet
        conn.execute(delete(users).where(users.c.id == "gone"))
    await recheck.once()
    ends = {uid: c.queue.get_nowait() for uid, c in clients.items() if not c.queue.empty()}
    assert ends == {
        "off": Ended("disabled"),
        "gone": Ended("disabled"),
        "moved": Ended("changed"),
        "demoted": Ended("changed"),
    }
    assert hub.clients == {clients["same"], anonymous}
    assert hub.ended == {"expired": 0, "disabled": 2, "changed": 2} and recheck.errors == 0
