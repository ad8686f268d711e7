"""The staff API tests' app (import ``staff_fixture`` into a test module for the ``staff`` fixture): the API
in-process (lifespan run by hand, httpx over ASGI) with a seeded inventory: shed-a in community c1,
shed-b in c2, each with one post of 4 sockets, an extinguisher and a sensor; a trouble alarm and its incident
in shed-a."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cloud.alarms.repo import AlarmRepo
from cloud.api.app import create_app
from cloud.api.deps import CloudState
from cloud.core.alarms.inputs import Raise
from cloud.core.alarms.model import AlarmKey
from cloud.settings import CloudSettings
from protocol.config import PostSpec, ShedConfig
from protocol.uplink import AlarmClass
from tests.apiauth import bearer


@dataclass
class Staff:
    """The running app, a client, and the seeded alarm / incident ids."""

    app: FastAPI
    client: httpx.AsyncClient
    settings: CloudSettings
    alarm_id: int
    incident_id: str

    @property
    def cloud(self) -> CloudState:
        """The app's state."""
        state = self.app.state.cloud
        assert isinstance(state, CloudState)
        return state

    def auth(self, role: str, *communities: str, user: str = "u1", everywhere: bool = False) -> dict[str, str]:
        """Bearer header of a principal of ``role`` in ``communities`` (c1 by default)."""
        return bearer(self.settings, role, communities or ("c1",), user_id=user, everywhere=everywhere)


def seed_shed(cloud: CloudState, shed: str, community: str) -> None:
    """Import a small shed into the inventory."""
    config = ShedConfig(
        shed=shed, community=community, posts=[PostSpec(id="post-1", sockets=4)], extinguishers=["ext-1"],
        sensors=["env-1"],
    )  # fmt: skip
    cloud.stores.state.import_inventory(config, actor="test", now_ms=cloud.clock.now_ms())


def raise_alarm(cloud: CloudState, key: AlarmKey, alarm_class: AlarmClass, message: str = "") -> tuple[int, str]:
    """Raise an alarm through the alarm service (as an edge event would); its row id and incident id."""
    assert cloud.alarms is not None
    service = cloud.alarms.service
    with service.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=service.sqlite)
        service.apply(repo, Raise(key, alarm_class, message), cloud.clock.now_ms())
    from sqlalchemy import select

    from cloud.state.alarm_schema import alarms

    with service.engine.connect() as conn:
        row = conn.execute(
            select(alarms.c.id, alarms.c.incident).where(alarms.c.key == str(key)).order_by(alarms.c.id.desc())
        ).first()
    assert row is not None
    return int(row.id), str(row.incident)


@asynccontextmanager
async def running(settings: CloudSettings) -> AsyncIterator[Staff]:
    """The seeded app on ``settings``."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        cloud = app.state.cloud
        seed_shed(cloud, "shed-a", "c1")
        seed_shed(cloud, "shed-b", "c2")
        alarm_id, incident_id = raise_alarm(cloud, AlarmKey("shed-a", "env-1", 0, "gas_co"), AlarmClass.TROUBLE, "CO")
        yield Staff(app, client, settings, alarm_id, incident_id)


@pytest.fixture(name="staff")
async def staff_fixture(tmp_path: Path) -> AsyncIterator[Staff]:
    """The seeded app on SQLite (ingest off: nothing but the store feeds it; alarm service on, ticking slowly)."""
    async with running(CloudSettings(data_dir=tmp_path, ingest=False, alarm_tick_s=30)) as seeded:
        yield seeded


def audit_log(staff: Staff) -> list[tuple[str, str, str, str | None, str, str]]:
    """(actor, action, target, community, outcome, detail) of every audit_log row, oldest first."""
    from cloud.state import audit_rows

    with staff.cloud.stores.state.engine.connect() as conn:
        rows = audit_rows.newest(conn, communities=None, limit=10_000)
    return [(r.actor, r.action, r.target, r.community, r.outcome, r.detail) for r in reversed(rows)]
