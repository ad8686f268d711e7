"""Accounts: users, community memberships, the audit log (cloud/state/accounts_schema.py).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_AUTO = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    """Create users, memberships and audit_log."""
    op.create_table(
        "users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("everywhere", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "memberships",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("community", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "community"),
    )
    op.create_index("memberships_community", "memberships", ["community"])
    op.create_table(
        "audit_log",
        sa.Column("id", _AUTO, primary_key=True, autoincrement=True),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False, server_default=""),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(300), nullable=False, server_default=""),
        sa.Column("community", sa.String(100)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("address", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("audit_log_ts", "audit_log", ["ts_ms"])
    op.create_index("audit_log_community", "audit_log", ["community", "id"])


def downgrade() -> None:
    """Drop the account tables."""
    for name in ("audit_log", "memberships", "users"):
        op.drop_table(name)
