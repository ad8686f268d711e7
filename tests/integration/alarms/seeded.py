"""A state store with one shed whose edge is online and some stored edge events, and an alarm service over it
(no targets: nobody alerted), for the alarm tests that need no broker."""

from pathlib import Path
from typing import Any

from cloud.alarms.config import AlarmConfig
from cloud.alarms.repo import AlarmRepo
from cloud.alarms.service import AlarmService
from cloud.core.alarms.incidents import Incident
from cloud.core.alarms.model import Alarm
from cloud.core.batch import Batch
from cloud.state.store import StateStore
from protocol.config import ShedConfig
from protocol.uplink import EdgeEvent, EdgeState

NOW = 1_767_225_600_000  # 2026-01-01T00:00Z


def seeded_store(path: Path, shed: dict[str, Any], events: list[EdgeEvent], now: int = NOW) -> StateStore:
    """A migrated SQLite store at ``path`` with ``shed`` (a shed config) registered, its edge born at ``now``
    and ``events`` stored as received at ``now``."""
    store = StateStore(f"sqlite:///{path}")
    store.migrate()
    store.register_shed(ShedConfig.model_validate(shed))
    write_events(store, [EdgeState(src=shed["shed"], seq=0, ts=now, state="birth", session=1), *events], now)
    return store


def write_events(store: StateStore, events: list[Any], now: int) -> None:
    """Store edge events (and states) as ingest would, received at ``now``."""
    batch = Batch()
    for ev in events:
        (batch.states if isinstance(ev, EdgeState) else batch.events).append((ev, now))
    store.write(batch)


def service_of(store: StateStore, config: AlarmConfig | None = None) -> AlarmService:
    """An alarm service over ``store``."""
    return AlarmService(store.engine, sqlite=True, config=config or AlarmConfig(), link_secret=b"x" * 32)


def open_alarms(store: StateStore) -> dict[str, Alarm]:
    """Every open alarm by key text."""
    with store.engine.connect() as conn:
        return {str(a.key): a for a, _ in AlarmRepo(conn, sqlite=True).open_alarms()}


def open_incidents(store: StateStore) -> list[Incident]:
    """Every open incident."""
    with store.engine.connect() as conn:
        return AlarmRepo(conn, sqlite=True).open_incidents()
