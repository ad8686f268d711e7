"""The one dialect difference the state store's writes need: the INSERT with ON CONFLICT clauses."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite


def upsert_insert(conn: Connection) -> Callable[..., Any]:
    """``insert`` of SQLite or PostgreSQL (both have on_conflict_do_nothing / on_conflict_do_update)."""
    return sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
