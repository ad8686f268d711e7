"""Account tables (migration 0004) on SQLite and PostgreSQL: the audit log."""

import pytest
from sqlalchemy import inspect

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
