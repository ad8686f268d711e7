"""Configuration documents edited through the API: community settings, rota, alert channels (issue 12).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create config_docs (cloud/state/config_docs.py)."""
    op.create_table(
        "config_docs",
        sa.Column("community", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("community", "kind", "version"),
    )


def downgrade() -> None:
    """Drop config_docs."""
    op.drop_table("config_docs")
