"""Cloud core: edge death session, the per-shed event feed and subscriber cursors, config versions, camera links,
commands.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.String(64)


def upgrade() -> None:
    """Add the columns and tables."""
    with op.batch_alter_table("sheds") as batch:
        batch.add_column(sa.Column("dead_session", sa.BigInteger, nullable=False, server_default="-1"))
        batch.add_column(sa.Column("feed_head", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("name", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("reported_config_version", sa.BigInteger, nullable=False, server_default="0"))
    # The core derives "online" from the sessions: an edge stored offline keeps being offline.
    op.execute("UPDATE sheds SET dead_session = session WHERE NOT online")
    op.create_table(
        "feed",
        sa.Column("shed", _ID, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("shed", "position"),
    )
    op.create_table(
        "feed_cursors",
        sa.Column("subscriber", sa.String(64), nullable=False),
        sa.Column("shed", _ID, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("subscriber", "shed"),
    )
    op.create_table(
        "shed_configs",
        sa.Column("shed", _ID, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("shed", "version"),
    )
    op.create_table(
        "cameras",
        sa.Column("shed", _ID, nullable=False),
        sa.Column("camera", _ID, nullable=False),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("posts", sa.Text, nullable=False, server_default="[]"),
        sa.PrimaryKeyConstraint("shed", "camera"),
    )
    op.create_table(
        "commands",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("shed", _ID, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=False, server_default=""),
        sa.Column("issued_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="sent"),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("answered_ms", sa.BigInteger),
        sa.PrimaryKeyConstraint("shed", "request_id"),
    )
    op.create_index("ix_commands_shed", "commands", ["shed", "issued_ms"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_commands_shed", "commands")
    for table in ("commands", "cameras", "shed_configs", "feed_cursors", "feed"):
        op.drop_table(table)
    with op.batch_alter_table("sheds") as batch:
        for col in ("reported_config_version", "name", "feed_head", "dead_session"):
            batch.drop_column(col)
