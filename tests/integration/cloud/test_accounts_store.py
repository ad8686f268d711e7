"""Account tables (migration 0004) on SQLite and PostgreSQL: the audit log and the account directory."""

import threading
import time

import pytest
from sqlalchemy import inspect

from cloud.auth.directory import Directory
from cloud.auth.errors import AccountConflict, AccountError, UnknownUser, WeakPassword
from cloud.auth.passwords import PasswordHasher
from cloud.core.access.roles import Role
from cloud.state import audit_rows
from cloud.state.audit_rows import AuditEntry
from cloud.state.store import StateStore

pytestmark = pytest.mark.integration


def test_account_tables_exist(store: StateStore) -> None:
    assert {"users", "memberships", "audit_log"} <= set(inspect(store.engine).get_table_names())


def test_audit_log_appends_cuts_long_values_and_pages_newest_first(store: StateStore) -> None:
    with store.engine.begin() as conn:
        for i, community in enumerate(["c1", "c2", None, "c1"]):
            audit_rows.append(
                conn, AuditEntry(1000 + i, f"u{i}", "admin", "config.tariff", "t" * 400, community, "ok", f"#{i}")
            )
    with store.engine.connect() as conn:
        every = audit_rows.newest(conn, communities=None)
        assert [e.detail for e in every] == ["#3", "#2", "#1", "#0"] and len(every[0].target) == 300
        assert [e.detail for e in audit_rows.newest(conn, communities={"c1"})] == ["#3", "#0"]
        assert [e.detail for e in audit_rows.newest(conn, communities=None, before_id=every[1].id, limit=1)] == ["#1"]
        assert [e.detail for e in audit_rows.newest(conn, communities=None, actor="u2")] == ["#2"]
        assert audit_rows.newest(conn, communities=set()) == []


def _directory(store: StateStore, time_cost: int = 1) -> Directory:
    return Directory(
        store.engine, PasswordHasher(time_cost=time_cost, memory_kib=1024, parallelism=1), now_ms=lambda: 7
    )


def test_directory_creates_finds_and_refuses(store: StateStore) -> None:
    d = _directory(store)
    d.create_community("c1")
    with pytest.raises(AccountConflict):
        d.create_community("c1")
    with pytest.raises(AccountError, match="bad community id"):
        d.create_community("C 1")
    user = d.create_user(username=" Li.Wei ", password="long enough", role=Role.OPERATOR, communities=["c1"])
    assert (user.username, user.created_ms, user.communities) == ("li.wei", 7, frozenset({"c1"}))
    assert d.find("LI.WEI") == user and d.get(user.id) == user and user.password_hash.startswith("$argon2id$")
    with pytest.raises(AccountConflict):
        d.create_user(username="li.WEI", password="long enough", role=Role.RESIDENT, communities=["c1"])
    for kwargs, error in [
        ({"communities": ["c2"]}, "no such community: c2"),
        ({"communities": []}, "belongs to no community"),
        ({"communities": ["c1"], "everywhere": True}, "only an admin"),
        ({"communities": ["c1"], "username": "a"}, "3-64"),
        ({"communities": ["c1"], "display_name": "x\x07"}, "printable"),
    ]:
        with pytest.raises(AccountError, match=error):
            d.create_user(**{"username": "zz9", "password": "long enough", "role": Role.SECURITY, **kwargs})
    with pytest.raises(WeakPassword):
        d.create_user(username="zz9", password="short", role=Role.SECURITY, communities=["c1"])
    assert d.find("zz9") is None and [u.username for u in d.users(None)] == ["li.wei"]
    assert d.users({"c2"}) == [] and d.communities() == {"c1": "c1"}


def test_directory_logins_changes_and_rehash(store: StateStore) -> None:
    d = _directory(store)
    d.create_community("c1")
    d.create_community("c2", "Second")
    uid = d.create_user(username="guard", password="long enough", role=Role.SECURITY, communities=["c1"]).id
    assert d.authenticate("guard", "long enough")[1] == "ok"
    assert d.authenticate("guard", "wrong one!")[0] is None
    assert d.authenticate("ghost", "long enough") == (None, "bad credentials")
    assert d.authenticate("", "long enough") == (None, "bad credentials")
    after = d.change(uid, role=Role.OPERATOR, communities=["c1", "c2"], display_name="Guard Z", disabled=True)
    assert d.get(uid) == after and after.communities == {"c1", "c2"} and after.disabled
    assert d.authenticate("guard", "long enough") == (None, "disabled")
    with pytest.raises(AccountError):
        d.change(uid, communities=[])
    with pytest.raises(UnknownUser):
        d.change("u-none", disabled=True)
    with pytest.raises(UnknownUser):
        d.set_password("u-none", "long enough")
    d.change(uid, disabled=False)
    old_hash = after.password_hash
    stronger = _directory(store, time_cost=2)
    assert stronger.authenticate("guard", "long enough")[1] == "ok"  # costs raised: re-hashed at this login
    new_hash = stronger.get(uid).password_hash  # type: ignore[union-attr]
    assert new_hash != old_hash and "t=2" in new_hash
    d.set_password(uid, "another secret")
    assert d.authenticate("guard", "another secret")[1] == "ok"


class _CountingHasher(PasswordHasher):
    """Records how many verifications overlap (each held open a moment, as Argon2's real cost would)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=1024, parallelism=1)
        self.lock = threading.Lock()
        self.now = self.peak = self.calls = 0

    def verify(self, stored: str | None, password: str) -> bool:
        with self.lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.05)
        with self.lock:
            self.now -= 1
        return super().verify(stored, password)


def test_at_most_max_concurrent_hashes_run_at_once(store: StateStore) -> None:
    hasher = _CountingHasher()
    d = Directory(store.engine, hasher, now_ms=lambda: 0, max_concurrent_hashes=2)
    threads = [threading.Thread(target=d.authenticate, args=(f"user{i}", "long enough")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert hasher.calls == 8 and 1 <= hasher.peak <= 2
