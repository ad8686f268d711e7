"""Configuration documents edited through the API, versioned per community (migration 0006).

One row per saved version of one document of one community: ``kind`` is ``community`` (zone, service promise,
inspection rhythm), ``rota`` (escalation chain and shifts) or ``channels`` (people and their alert targets).
``body`` is the document as JSON; the newest version of each (community, kind) is the one in force, older ones
stay as the record of who changed what. The alarm TOML file (``CloudSettings.alarm_config``) is the seed these
override (cloud.alarms.config_docs merges them).
"""

from dataclasses import dataclass
from enum import StrEnum

import orjson
from sqlalchemy import BigInteger, Column, Connection, PrimaryKeyConstraint, String, Table, Text, func, select

from cloud.state.schema import metadata


class DocKind(StrEnum):
    """The documents of a community the API edits."""

    COMMUNITY = "community"
    ROTA = "rota"
    CHANNELS = "channels"


config_docs = Table(
    "config_docs",
    metadata,
    Column("community", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("community", "kind", "version"),
)


@dataclass(frozen=True, slots=True)
class ConfigDoc:
    """One saved version: its body (a JSON object as a dict), who saved it and when (epoch ms)."""

    community: str
    kind: DocKind
    version: int
    body: dict[str, object]
    actor: str
    created_ms: int


def save(conn: Connection, community: str, kind: DocKind, body: dict[str, object], *, actor: str, now_ms: int) -> int:
    """Store ``body`` as the next version of (community, kind); the new version number (1, 2, ...)."""
    newest = conn.execute(
        select(func.max(config_docs.c.version)).where(config_docs.c.community == community, config_docs.c.kind == kind)
    ).scalar()
    version = int(newest or 0) + 1
    conn.execute(
        config_docs.insert().values(
            community=community,
            kind=kind.value,
            version=version,
            body=orjson.dumps(body).decode(),
            actor=actor,
            created_ms=now_ms,
        )
    )
    return version


def newest(conn: Connection, community: str | None = None) -> dict[tuple[str, DocKind], ConfigDoc]:
    """The newest version of every document (of one community when given), by (community, kind)."""
    latest = (
        select(config_docs.c.community, config_docs.c.kind, func.max(config_docs.c.version).label("version"))
        .group_by(config_docs.c.community, config_docs.c.kind)
        .subquery()
    )
    q = select(config_docs).join(
        latest,
        (config_docs.c.community == latest.c.community)
        & (config_docs.c.kind == latest.c.kind)
        & (config_docs.c.version == latest.c.version),
    )
    if community is not None:
        q = q.where(config_docs.c.community == community)
    out: dict[tuple[str, DocKind], ConfigDoc] = {}
    for r in conn.execute(q):
        kind = DocKind(r.kind)
        out[(r.community, kind)] = ConfigDoc(
            r.community, kind, int(r.version), orjson.loads(r.body), r.actor, r.created_ms
        )
    return out


def generation(conn: Connection) -> tuple[int, int]:
    """(row count, newest save time): changes whenever any document is saved (for followers to poll cheaply)."""
    row = conn.execute(select(func.count(), func.max(config_docs.c.created_ms)).select_from(config_docs)).one()
    return int(row[0]), int(row[1] or 0)
