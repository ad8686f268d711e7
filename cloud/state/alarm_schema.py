"""Tables of the alarm service and the notifier (created by migration 0002).

Alarms and incidents keep their pure-core dataclass as JSON in ``body`` plus the columns queries need; the
timeline and the audit are append-only; ``alerts`` is the notifier's durable outbox, unique on
(incident, step, person, target) so a step reaches each person's channel once however often it is enqueued;
``alarm_seen`` marks the edge events the alarm service has applied (exactly once, across restarts).
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    Join,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
)

from cloud.state.schema import metadata

_AUTO = BigInteger().with_variant(Integer, "sqlite")

alarms = Table(
    "alarms",
    metadata,
    Column("id", _AUTO, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False),
    Column("instance", Integer, nullable=False),
    Column("shed", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("incident", String(64)),
    Column("updated_ms", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("key", "instance", name="alarms_key_instance"),
    Index("alarms_open", "state", "key"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("shed", String(64), nullable=False),
    Column("opened_ms", BigInteger, nullable=False),
    Column("resolved_ms", BigInteger),
    Column("body", Text, nullable=False),
    Index("incidents_shed", "shed", "opened_ms"),
)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", _AUTO, primary_key=True, autoincrement=True),
    Column("incident", String(64), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("actor", String(64)),
    Column("device", String(64)),
    Column("detail", Text, nullable=False, server_default=""),
    Index("incident_events_incident", "incident", "id"),
)

alarm_audit = Table(
    "alarm_audit",
    metadata,
    Column("id", _AUTO, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False),
    Column("instance", Integer, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(64)),
    Column("device", String(64)),
    Column("detail", Text, nullable=False, server_default=""),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", _AUTO, primary_key=True, autoincrement=True),
    Column("incident", String(64), nullable=False),
    Column("step", String(32), nullable=False),
    Column("person", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_ms", BigInteger, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("sent_ms", BigInteger),
    Column("delivered_ms", BigInteger),
    Column("detail", Text, nullable=False, server_default=""),
    UniqueConstraint("incident", "step", "person", "target", name="alerts_once"),
    Index("alerts_due", "status", "next_ms"),
)

inspections = Table(
    "inspections",
    metadata,
    Column("id", _AUTO, primary_key=True, autoincrement=True),
    Column("shed", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Index("inspections_device", "shed", "device", "ts"),
)

alarm_seen = Table(
    "alarm_seen",
    metadata,
    Column("src", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("src", "seq"),
)

# Which alarm instances joined which incident, and when (migration 0008): an incident's alarm list is its history,
# not the alarms whose current ``alarms.incident`` points at it (an unshelved alarm re-presented after its incident
# was resolved opens a new incident and moves there; the old one still had it).
incident_alarms = Table(
    "incident_alarms",
    metadata,
    Column("incident", String(64), nullable=False),
    Column("key", String(300), nullable=False),
    Column("instance", Integer, nullable=False),
    Column("joined_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("incident", "key", "instance"),
    Index("incident_alarms_alarm", "key", "instance"),
)


def joined_alarms(incident: str) -> Join:
    """The alarm rows of the instances that joined ``incident`` (its history, wherever they are now)."""
    on = and_(
        incident_alarms.c.key == alarms.c.key,
        incident_alarms.c.instance == alarms.c.instance,
        incident_alarms.c.incident == incident,
    )
    return alarms.join(incident_alarms, on)
