"""Tables of charging sessions, wallets, tariffs, QR ids and resident notifications (migration 0005).

Money is whole fen (0.01 yuan) in integer columns: a balance is the wallet row's ``balance_fen``, changed in the
same transaction as the ledger line that explains it, never summed from floats. ``wallet_ledger`` is unique on
``session``, so a session is debited once however often its end is replayed (credits carry no session).
Sessions keep the pure core's ``Session`` as JSON in ``body`` plus the columns queries need; ``tariff_version``
is the tariff the session started under. ``charging_seen`` marks the edge session events applied (exactly once,
across restarts), as ``alarm_seen`` does for alarms.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from cloud.state.schema import events, metadata

_AUTO = BigInteger().with_variant(Integer, "sqlite")

charging_sessions = Table(
    "charging_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("community", String(100), nullable=False),
    Column("qr", String(200), nullable=False),
    Column("shed", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("socket", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # requested | active | ended
    Column("end_reason", String(32)),
    Column("tariff_version", BigInteger, nullable=False),
    Column("requested_ms", BigInteger, nullable=False),
    Column("ended_ms", BigInteger),
    Column("energy_wh", Float, nullable=False, server_default="0"),
    Column("cost_fen", BigInteger, nullable=False, server_default="0"),  # the running cost, rounded half-up
    Column("charged_fen", BigInteger),  # debited at the end
    Column("unpaid_fen", BigInteger),
    Column("stop_by", String(16)),  # resident | staff: who asked the edge to stop
    Column("reminders", Integer, nullable=False, server_default="0"),  # "please move your bike" reminders queued
    Column("updated_ms", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Index("charging_sessions_user", "user_id", "requested_ms"),
    Index("charging_sessions_socket", "shed", "device", "socket", "status"),
    Index("charging_sessions_status", "status"),
    # at most one session that has not ended per socket, even when two residents scan it at once
    Index(
        "charging_sessions_one_open",
        "shed",
        "device",
        "socket",
        unique=True,
        sqlite_where=text("status != 'ended'"),
        postgresql_where=text("status != 'ended'"),
    ),
)

wallets = Table(
    "wallets",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("community", String(100), nullable=False),
    Column("balance_fen", BigInteger, nullable=False, server_default="0"),
    Column("unpaid_fen", BigInteger, nullable=False, server_default="0"),
    Column("updated_ms", BigInteger, nullable=False),
)

wallet_ledger = Table(
    "wallet_ledger",
    metadata,
    Column("id", _AUTO, primary_key=True, autoincrement=True),
    Column("user_id", String(64), nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("kind", String(8), nullable=False),  # credit | debit
    Column("amount_fen", BigInteger, nullable=False),  # > 0 for both kinds; the balance moves by its sign
    Column("balance_fen", BigInteger, nullable=False),  # after this line
    Column("unpaid_fen", BigInteger, nullable=False, server_default="0"),  # of a debit the balance could not pay
    Column("session", String(64)),
    Column("actor", String(64), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    UniqueConstraint("session", name="wallet_ledger_session_once"),
    Index("wallet_ledger_user", "user_id", "id"),
)

tariffs = Table(
    "tariffs",
    metadata,
    Column("community", String(100), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("community", "version"),
)

socket_qr = Table(
    "socket_qr",
    metadata,
    Column("qr", String(200), primary_key=True),
    Column("shed", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("socket", Integer, nullable=False),
    UniqueConstraint("shed", "device", "socket", name="socket_qr_socket"),
)

resident_notifications = Table(
    "resident_notifications",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("channel", Text, nullable=False, server_default=""),  # an Apprise URL; empty: page only
    Column("finished", Boolean, nullable=False, server_default="0"),
    Column("stopped", Boolean, nullable=False, server_default="0"),
    Column("free_socket", Boolean, nullable=False, server_default="0"),
    Column("updated_ms", BigInteger, nullable=False),
)

free_socket_watch = Table(
    "free_socket_watch",
    metadata,
    Column("user_id", String(64), nullable=False),
    Column("shed", String(64), nullable=False),
    Column("last_sent_ms", BigInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("user_id", "shed"),
)

# New edge events of some types since a watermark (the session service's and the alarm service's queries).
events_type_received = Index("events_type_received", events.c.type, events.c.received_ms)

charging_seen = Table(
    "charging_seen",
    metadata,
    Column("src", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("src", "seq"),
)
