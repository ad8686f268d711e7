"""Tables of the state store (the Alembic migrations under cloud/migrations create them)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

communities = Table(
    "communities",
    metadata,
    Column("community", String(100), primary_key=True),
    Column("name", Text, nullable=False, server_default=""),
)

# One row per shed ever heard from or registered; also the lock row that serialises one shed's live-state writes.
sheds = Table(
    "sheds",
    metadata,
    Column("shed", String(64), primary_key=True),
    Column("community", String(100), nullable=False, server_default=""),
    Column("registered", Boolean, nullable=False, server_default="0"),
    Column("birth_seq", BigInteger, nullable=False, server_default="-1"),
    Column("session", BigInteger, nullable=False, server_default="0"),
    Column("online", Boolean, nullable=False, server_default="0"),
    Column("updated_ts", BigInteger, nullable=False, server_default="0"),
    Column("last_seen_ms", BigInteger, nullable=False, server_default="0"),
    Column("outbox_depth", BigInteger, nullable=False, server_default="0"),
    Column("config_version", BigInteger, nullable=False, server_default="0"),  # newest the cloud holds
    # 0002: the core's decided edge state, the feed head, the inventory name, the version the edge reported
    Column("dead_session", BigInteger, nullable=False, server_default="-1"),
    Column("feed_head", BigInteger, nullable=False, server_default="0"),
    Column("name", Text, nullable=False, server_default=""),
    Column("reported_config_version", BigInteger, nullable=False, server_default="0"),
)

posts = Table(
    "posts",
    metadata,
    Column("shed", String(64), nullable=False),
    Column("post", String(64), nullable=False),
    Column("sockets", Integer, nullable=False),
    PrimaryKeyConstraint("shed", "post"),
)

devices = Table(
    "devices",
    metadata,
    Column("shed", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("kind", String(32), nullable=False),  # post | extinguisher | sensor
    PrimaryKeyConstraint("shed", "device"),
)

# Live socket status, guarded by seq so concurrent workers converge on the newest.
sockets = Table(
    "sockets",
    metadata,
    Column("shed", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("socket", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),  # -1: only a stop heard yet (status is a filler)
    Column("ts", BigInteger, nullable=False),
    # 0007: an operator's stop, guarded by its own seq (cloud.core.live); stopped_ts null: not stopped
    Column("stopped_ts", BigInteger, nullable=True),
    Column("stopped_by", String(64), nullable=True),
    Column("stop_seq", BigInteger, nullable=False, server_default="-1"),
    PrimaryKeyConstraint("shed", "device", "socket"),
)

events = Table(
    "events",
    metadata,
    Column("src", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("type", String(32), nullable=False),
    Column("device", String(64)),
    Column("socket", Integer),
    Column("body", Text, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("src", "seq"),
)

results = Table(
    "results",
    metadata,
    Column("src", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("received_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("src", "seq"),
)

edge_states = Table(
    "edge_states",
    metadata,
    Column("src", String(64), nullable=False),
    Column("session", BigInteger, nullable=False),
    Column("state", String(8), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("src", "session", "state"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("received_ms", BigInteger, nullable=False),
    Column("topic", Text, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

# The event feed: every domain event at its per-shed position (1, 2, 3, ... without holes).
feed = Table(
    "feed",
    metadata,
    Column("shed", String(64), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False),
    PrimaryKeyConstraint("shed", "position"),
)

# Where each durable subscriber has read to, per shed.
feed_cursors = Table(
    "feed_cursors",
    metadata,
    Column("subscriber", String(64), nullable=False),
    Column("shed", String(64), nullable=False),
    Column("position", BigInteger, nullable=False),
    PrimaryKeyConstraint("subscriber", "shed"),
)

# Every config version the cloud made for a shed (the newest is pushed, retained).
shed_configs = Table(
    "shed_configs",
    metadata,
    Column("shed", String(64), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("shed", "version"),
)

# Camera links of a shed (cloud inventory only; posts: JSON array of the post ids a camera covers).
cameras = Table(
    "cameras",
    metadata,
    Column("shed", String(64), nullable=False),
    Column("camera", String(64), nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("url", Text, nullable=False),
    Column("posts", Text, nullable=False, server_default="[]"),
    PrimaryKeyConstraint("shed", "camera"),
)

# The cloud's audit of commands it sent, and the edge's answer.
commands = Table(
    "commands",
    metadata,
    Column("request_id", String(64), nullable=False),
    Column("shed", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("target", Text, nullable=False, server_default=""),
    Column("issued_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("status", String(16), nullable=False, server_default="sent"),
    Column("detail", Text, nullable=False, server_default=""),
    Column("answered_ms", BigInteger),
    PrimaryKeyConstraint("shed", "request_id"),
    Index("ix_commands_shed", "shed", "issued_ms"),
)
