"""The alarm service with the heard record over real SQLite and PostgreSQL stores: the inventory's devices, the
post limit of the shed's stored config, raise and return to normal (timings in tests/unit/cloud/alarms)."""

import pytest

from cloud.alarms.config import AlarmConfig
from cloud.alarms.heard import HeardBook
from cloud.alarms.repo import AlarmRepo
from cloud.alarms.service import AlarmService
from cloud.core.alarms.model import AlarmKey, Lifecycle
from cloud.core.batch import Batch
from cloud.state.store import StateStore
from protocol.config import PostSpec, ShedConfig, Thresholds
from protocol.uplink import EdgeHeartbeat, EdgeState, TelemetryBatch, TelemetryPoint
from tests.integration.cloud.conftest import store  # noqa: F401 - the SQLite / PostgreSQL fixture
from tests.manualclock import T0, ManualClock

pytestmark = pytest.mark.integration
POST_SILENT = AlarmKey("shed-a", "post-1", 0, "device_silent")
ENV_SILENT = AlarmKey("shed-a", "env-1", 0, "device_silent")
POST_OVER = AlarmKey("shed-a", "post-1", 0, "post_over_limit_long")


class Shed:
    """shed-a's edge as ingest stores it, and the heard record told of each batch."""

    def __init__(self, states: StateStore, book: HeardBook, clock: ManualClock) -> None:
        self.store, self.book, self.clock = states, book, clock
        self.seq = 0
        batch = Batch()
        batch.states.append((EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), T0))
        states.write(batch)

    def readings(self, **devices: float) -> None:
        """A heartbeat and a telemetry batch: each named device's reading (a post's is its total power)."""
        self.seq += 1
        now = self.clock.wall
        fields = {d: {"total_power_w": w} if d.startswith("post") else {"temp_c": w} for d, w in devices.items()}
        points = [TelemetryPoint(ts=now, device=d.replace("_", "-"), fields=f) for d, f in fields.items()]
        batch = Batch()
        hb = EdgeHeartbeat(src="shed-a", seq=self.seq, ts=now, session=1, uptime_s=1, outbox_depth=0)
        batch.heartbeats.append((hb, now))
        batch.telemetry.append((TelemetryBatch(src="shed-a", seq=self.seq, ts=now, points=points), now))
        self.store.write(batch)
        self.book.on_batch(batch)


def _state(states: StateStore, key: AlarmKey) -> Lifecycle | None:
    with states.engine.connect() as conn:
        found = AlarmRepo(conn, sqlite=states.is_sqlite).latest_alarm(key)
    return None if found is None else found[0].state


def test_silent_devices_and_a_post_over_its_configured_limit_raise_and_return(store: StateStore) -> None:  # noqa: F811
    limits = Thresholds(post_limit_w=5000, post_soft_limit_w=4000)
    config = ShedConfig(shed="shed-a", posts=[PostSpec(id="post-1", sockets=2)], sensors=["env-1"], thresholds=limits)
    store.import_inventory(config, actor="test", now_ms=T0)
    clock = ManualClock()
    book = HeardBook(clock, post_limit_w=8700)
    service = AlarmService(
        store.engine, sqlite=store.is_sqlite, config=AlarmConfig(), link_secret=b"x" * 32, heard=book
    )
    shed = Shed(store, book, clock)
    service.evaluate_rules(clock.wall)  # the window starts; the shed's limit (5,000 W) is read from its config
    shed.readings(post_1=6000, env_1=20)

    clock.advance(600_000)
    shed.readings(post_1=6000)  # over its 5,000 W (not the default 8,700 W) for 10 min; env-1 silent since
    service.evaluate_rules(clock.wall)
    assert (_state(store, POST_OVER), _state(store, ENV_SILENT), _state(store, POST_SILENT)) == (
        Lifecycle.UNACK,
        Lifecycle.UNACK,
        None,
    )
    assert service.stats.heard

    clock.advance(1_000)
    shed.readings(post_1=100, env_1=20)
    service.evaluate_rules(clock.wall)
    assert (_state(store, POST_OVER), _state(store, ENV_SILENT)) == (Lifecycle.RTN_UNACK, Lifecycle.RTN_UNACK)
