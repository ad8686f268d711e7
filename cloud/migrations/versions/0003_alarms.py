"""Alarm service and notifier: alarms, incidents, timeline, audit, alert outbox, inspections, applied events.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_AUTO = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    """Create the alarm tables."""
    op.create_table(
        "alarms",
        sa.Column("id", _AUTO, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("instance", sa.Integer, nullable=False),
        sa.Column("shed", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("incident", sa.String(64)),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.UniqueConstraint("key", "instance", name="alarms_key_instance"),
    )
    op.create_index("alarms_open", "alarms", ["state", "key"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("shed", sa.String(64), nullable=False),
        sa.Column("opened_ms", sa.BigInteger, nullable=False),
        sa.Column("resolved_ms", sa.BigInteger),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("incidents_shed", "incidents", ["shed", "opened_ms"])
    op.create_table(
        "incident_events",
        sa.Column("id", _AUTO, primary_key=True, autoincrement=True),
        sa.Column("incident", sa.String(64), nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("device", sa.String(64)),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("incident_events_incident", "incident_events", ["incident", "id"])
    op.create_table(
        "alarm_audit",
        sa.Column("id", _AUTO, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("instance", sa.Integer, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("device", sa.String(64)),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "alerts",
        sa.Column("id", _AUTO, primary_key=True, autoincrement=True),
        sa.Column("incident", sa.String(64), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_ms", sa.BigInteger, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("sent_ms", sa.BigInteger),
        sa.Column("delivered_ms", sa.BigInteger),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("incident", "step", "person", "target", name="alerts_once"),
    )
    op.create_index("alerts_due", "alerts", ["status", "next_ms"])
    op.create_table(
        "inspections",
        sa.Column("id", _AUTO, primary_key=True, autoincrement=True),
        sa.Column("shed", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("inspections_device", "inspections", ["shed", "device", "ts"])
    op.create_table(
        "alarm_seen",
        sa.Column("src", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("src", "seq"),
    )


def downgrade() -> None:
    """Drop the alarm tables."""
    for name in ("alarm_seen", "inspections", "alerts", "alarm_audit", "incident_events", "incidents", "alarms"):
        op.drop_table(name)
