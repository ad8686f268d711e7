"""Charging sessions, wallets, tariffs, socket QR ids and resident notification settings (issue 12).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_AUTO = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    """Create the charging tables (cloud/state/charging_schema.py describes them)."""
    op.create_table(
        "charging_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("community", sa.String(100), nullable=False),
        sa.Column("qr", sa.String(200), nullable=False),
        sa.Column("shed", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("socket", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("end_reason", sa.String(32)),
        sa.Column("tariff_version", sa.BigInteger, nullable=False),
        sa.Column("requested_ms", sa.BigInteger, nullable=False),
        sa.Column("ended_ms", sa.BigInteger),
        sa.Column("energy_wh", sa.Float, nullable=False, server_default="0"),
        sa.Column("cost_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("charged_fen", sa.BigInteger),
        sa.Column("unpaid_fen", sa.BigInteger),
        sa.Column("stop_by", sa.String(16)),
        sa.Column("reminders", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("charging_sessions_user", "charging_sessions", ["user_id", "requested_ms"])
    op.create_index("charging_sessions_socket", "charging_sessions", ["shed", "device", "socket", "status"])
    op.create_index("charging_sessions_status", "charging_sessions", ["status"])
    # At most one session that has not ended per socket, even when two residents scan it at once.
    open_only = sa.text("status != 'ended'")
    op.create_index(
        "charging_sessions_one_open",
        "charging_sessions",
        ["shed", "device", "socket"],
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )
    op.create_table(
        "wallets",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("community", sa.String(100), nullable=False),
        sa.Column("balance_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("unpaid_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "wallet_ledger",
        sa.Column("id", _AUTO, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("balance_fen", sa.BigInteger, nullable=False),
        sa.Column("unpaid_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("session", sa.String(64)),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("session", name="wallet_ledger_session_once"),
    )
    op.create_index("wallet_ledger_user", "wallet_ledger", ["user_id", "id"])
    op.create_table(
        "tariffs",
        sa.Column("community", sa.String(100), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("community", "version"),
    )
    op.create_table(
        "socket_qr",
        sa.Column("qr", sa.String(200), primary_key=True),
        sa.Column("shed", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("socket", sa.Integer, nullable=False),
        sa.UniqueConstraint("shed", "device", "socket", name="socket_qr_socket"),
    )
    op.create_table(
        "resident_notifications",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.Text, nullable=False, server_default=""),
        sa.Column("finished", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("stopped", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("free_socket", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "free_socket_watch",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("shed", sa.String(64), nullable=False),
        sa.Column("last_sent_ms", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("user_id", "shed"),
    )
    # The session service (and the alarm service) look for new edge events of some types since a watermark.
    op.create_index("events_type_received", "events", ["type", "received_ms"])
    op.create_table(
        "charging_seen",
        sa.Column("src", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("src", "seq"),
    )


def downgrade() -> None:
    """Drop the charging tables."""
    op.drop_index("events_type_received", table_name="events")
    for table in (
        "charging_seen",
        "free_socket_watch",
        "resident_notifications",
        "socket_qr",
        "tariffs",
        "wallet_ledger",
        "wallets",
        "charging_sessions",
    ):
        op.drop_table(table)
