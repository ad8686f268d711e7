"""An operator's stop of a socket in live state, so availability never counts a stopped socket free (issue 12).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the stop (edge time, actor) and the seq that decided it to sockets (cloud/state/schema.py)."""
    with op.batch_alter_table("sockets") as batch:
        batch.add_column(sa.Column("stopped_ts", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("stopped_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("stop_seq", sa.BigInteger, nullable=False, server_default="-1"))


def downgrade() -> None:
    """Drop the stop columns."""
    with op.batch_alter_table("sockets") as batch:
        for col in ("stop_seq", "stopped_by", "stopped_ts"):
            batch.drop_column(col)
