"""Initial state schema: communities, sheds, posts, devices, sockets, events, results, edge states, dead letters.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.String(64)


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "communities",
        sa.Column("community", sa.String(100), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "sheds",
        sa.Column("shed", _ID, primary_key=True),
        sa.Column("community", sa.String(100), nullable=False, server_default=""),
        sa.Column("registered", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("birth_seq", sa.BigInteger, nullable=False, server_default="-1"),
        sa.Column("session", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("online", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("updated_ts", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_seen_ms", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("outbox_depth", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("config_version", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "posts",
        sa.Column("shed", _ID, nullable=False),
        sa.Column("post", _ID, nullable=False),
        sa.Column("sockets", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("shed", "post"),
    )
    op.create_table(
        "devices",
        sa.Column("shed", _ID, nullable=False),
        sa.Column("device", _ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("shed", "device"),
    )
    op.create_table(
        "sockets",
        sa.Column("shed", _ID, nullable=False),
        sa.Column("device", _ID, nullable=False),
        sa.Column("socket", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("shed", "device", "socket"),
    )
    op.create_table(
        "events",
        sa.Column("src", _ID, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("device", _ID),
        sa.Column("socket", sa.Integer),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("src", "seq"),
    )
    op.create_index("events_ts", "events", ["src", "ts"])
    op.create_table(
        "results",
        sa.Column("src", _ID, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("received_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("src", "seq"),
    )
    op.create_table(
        "edge_states",
        sa.Column("src", _ID, nullable=False),
        sa.Column("session", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("src", "session", "state"),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("received_ms", sa.BigInteger, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    """Drop every table."""
    for name in (
        "dead_letters",
        "edge_states",
        "results",
        "events",
        "sockets",
        "devices",
        "posts",
        "sheds",
        "communities",
    ):
        op.drop_table(name)
