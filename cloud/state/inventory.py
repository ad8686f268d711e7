"""Inventory rows: sheds, posts, devices, communities, config versions and camera links (on a connection).

Only a shed file's ``[shed]`` table and ``[[cameras]]`` come here; the edge's ``[agent]`` table
never does (protocol.shedfile keeps it apart).
"""

import json
from collections.abc import Sequence

from sqlalchemy import Connection, delete, select, update

from cloud.core.registry import Registry
from cloud.state.dialect import upsert_insert
from cloud.state.schema import cameras, communities, devices, posts, shed_configs, sheds
from protocol.config import ShedConfig
from protocol.shedfile import CameraLink


def register(conn: Connection, config: ShedConfig) -> None:
    """Record a shed, its posts and devices (idempotent: the config's lists replace the stored ones)."""
    insert = upsert_insert(conn)
    kinds = [(p.id, "post") for p in config.posts]
    kinds += [(e, "extinguisher") for e in config.extinguishers] + [(s, "sensor") for s in config.sensors]
    conn.execute(
        insert(sheds)
        .values(shed=config.shed, community=config.community, registered=True)
        .on_conflict_do_update(index_elements=["shed"], set_={"community": config.community, "registered": True})
    )
    conn.execute(delete(posts).where(posts.c.shed == config.shed))
    conn.execute(delete(devices).where(devices.c.shed == config.shed))
    if config.posts:
        conn.execute(posts.insert(), [{"shed": config.shed, "post": p.id, "sockets": p.sockets} for p in config.posts])
    if kinds:
        conn.execute(devices.insert(), [{"shed": config.shed, "device": d, "kind": k} for d, k in kinds])


def import_shed(
    conn: Connection, config: ShedConfig, *, actor: str, now_ms: int, links: Sequence[CameraLink] | None
) -> int:
    """Register the shed, keep its config as a new version when it changed, replace its camera links when
    given; the config version now held.

    The version is the file's when it is newer, else one past the newest held, so a push always moves the
    edge forward.
    """
    version = _config_version(conn, config, actor=actor, now_ms=now_ms)
    register(conn, config.model_copy(update={"version": version}))
    conn.execute(
        upsert_insert(conn)(communities)
        .values(community=config.community, name=config.community)
        .on_conflict_do_nothing()
    )
    conn.execute(update(sheds).where(sheds.c.shed == config.shed).values(config_version=version, name=config.name))
    if links is not None:
        conn.execute(delete(cameras).where(cameras.c.shed == config.shed))
        rows = [
            {"shed": config.shed, "camera": c.id, "name": c.name, "url": c.url, "posts": json.dumps(c.posts)}
            for c in links
        ]
        if rows:
            conn.execute(cameras.insert(), rows)
    return version


def _config_version(conn: Connection, config: ShedConfig, *, actor: str, now_ms: int) -> int:
    row = conn.execute(
        select(shed_configs.c.version, shed_configs.c.body)
        .where(shed_configs.c.shed == config.shed)
        .order_by(shed_configs.c.version.desc())
        .limit(1)
    ).first()
    if row is not None:
        held = ShedConfig.model_validate_json(row.body)
        if held.model_copy(update={"version": config.version}) == config:
            return int(row.version)  # unchanged: no new version
    version = max(config.version, int(row.version) + 1) if row is not None else config.version
    body = config.model_copy(update={"version": version}).model_dump_json()
    conn.execute(
        shed_configs.insert().values(shed=config.shed, version=version, body=body, actor=actor, created_ms=now_ms)
    )
    return version


def camera_links(conn: Connection, shed: str) -> list[CameraLink]:
    """The camera links of a shed, by id."""
    rows = conn.execute(select(cameras).where(cameras.c.shed == shed).order_by(cameras.c.camera))
    return [CameraLink(id=r.camera, name=r.name, url=r.url, posts=json.loads(r.posts)) for r in rows]


def newest_config(conn: Connection, shed: str) -> ShedConfig | None:
    """The newest config version held for a shed."""
    body = conn.execute(
        select(shed_configs.c.body).where(shed_configs.c.shed == shed).order_by(shed_configs.c.version.desc()).limit(1)
    ).scalar()
    return ShedConfig.model_validate_json(body) if body is not None else None


def reported_config_version(conn: Connection, shed: str) -> int:
    """The config version the shed's edge last reported in its birth (0 when never)."""
    v = conn.execute(select(sheds.c.reported_config_version).where(sheds.c.shed == shed)).scalar()
    return int(v or 0)


def registry(conn: Connection, *, strict: bool) -> Registry:
    """Devices of every registered shed."""
    registered = {r.shed for r in conn.execute(select(sheds.c.shed).where(sheds.c.registered))}
    found: dict[str, set[str]] = {s: set() for s in registered}
    for row in conn.execute(select(devices.c.shed, devices.c.device)):
        found.setdefault(row.shed, set()).add(row.device)
    return Registry({s: frozenset(d) for s, d in found.items()}, strict=strict)


def community_of_sheds(conn: Connection) -> dict[str, str]:
    """Community of every shed that has one."""
    return {r.shed: r.community for r in conn.execute(select(sheds.c.shed, sheds.c.community))}
