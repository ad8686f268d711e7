"""Which alarm instances joined which incident (issue 11): an incident keeps the alarms that joined it.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create incident_alarms (cloud/state/alarm_schema.py) and fill it from each alarm's current incident (all an
    older store knew; its ``updated_ms`` stands in for the join time)."""
    op.create_table(
        "incident_alarms",
        sa.Column("incident", sa.String(64), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("instance", sa.Integer, nullable=False),
        sa.Column("joined_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("incident", "key", "instance"),
    )
    op.create_index("incident_alarms_alarm", "incident_alarms", ["key", "instance"])
    op.execute(
        "INSERT INTO incident_alarms (incident, key, instance, joined_ms) "
        "SELECT incident, key, instance, updated_ms FROM alarms WHERE incident IS NOT NULL"
    )


def downgrade() -> None:
    """Drop incident_alarms."""
    op.drop_index("incident_alarms_alarm", table_name="incident_alarms")
    op.drop_table("incident_alarms")
