"""Tables of accounts and the audit log (created by migration 0004; docs/accounts.md).

``users``: one row per account; ``username`` is stored case-folded and unique, ``password_hash`` the Argon2id PHC
string (never the password). ``memberships``: the communities of each user (an ``everywhere`` admin needs none).
``audit_log``: append-only, one row per state-changing request, allowed or refused; ``ts_ms`` epoch ms of the
cloud's clock, ``address`` the client's IP as the API saw it.
"""

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text, false

from cloud.state.schema import metadata

_AUTO = BigInteger().with_variant(Integer, "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, server_default=""),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("everywhere", Boolean, nullable=False, server_default=false()),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("created_ms", BigInteger, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", String(64), nullable=False),
    Column("community", String(100), nullable=False),
    PrimaryKeyConstraint("user_id", "community"),
    Index("memberships_community", "community"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", _AUTO, primary_key=True, autoincrement=True),
    Column("ts_ms", BigInteger, nullable=False),
    Column("actor", String(64), nullable=False, server_default=""),
    Column("role", String(16), nullable=False, server_default=""),
    Column("action", String(64), nullable=False),
    Column("target", String(300), nullable=False, server_default=""),
    Column("community", String(100)),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("address", String(64), nullable=False, server_default=""),
    Index("audit_log_ts", "ts_ms"),
    Index("audit_log_community", "community", "id"),
)
