"""An edge alarm of a type a cloud rule also watches is the edge's: the rule's pass neither clears it nor
raises over it (docs/alarms.md: edge alarms are never cleared by the cloud)."""

from pathlib import Path

import pytest

from cloud.alarms.config import AlarmConfig
from cloud.alarms.repo import AlarmRepo
from cloud.alarms.service import AlarmService
from cloud.core.alarms.model import Origin
from cloud.ingest.batch import Batch
from cloud.state.store import StateStore
from protocol.config import ShedConfig
from protocol.uplink import AlarmClass, AlarmCleared, AlarmRaised, EdgeState

pytestmark = pytest.mark.integration
NOW = 1_767_225_600_000
KEY = "shed-a/post-1/2/bike_left_after_full"


def _states(store: StateStore) -> dict[str, tuple[str, Origin]]:
    with store.engine.connect() as conn:
        return {str(a.key): (a.state.value, a.origin) for a, _ in AlarmRepo(conn, sqlite=True).open_alarms()}


def test_the_cloud_rule_leaves_an_edge_raised_alarm_of_its_type_to_the_edge(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        store.migrate()
        store.register_shed(ShedConfig.model_validate({"shed": "shed-a"}))
        batch = Batch()
        batch.states.append((EdgeState(src="shed-a", seq=0, ts=NOW, state="birth", session=1), NOW))
        raised = AlarmRaised(
            src="shed-a", seq=1, ts=NOW, alarm_id="bl-2", alarm_class=AlarmClass.SERVICE,
            alarm_type="bike_left_after_full", device="post-1", socket=2,
        )  # fmt: skip
        batch.events.append((raised, NOW))
        store.write(batch)
        service = AlarmService(store.engine, sqlite=True, config=AlarmConfig(), link_secret=b"x" * 32)
        service.run_once(NOW)
        assert _states(store) == {KEY: ("unack", Origin.EDGE)}
        # The rule (no full socket known to the cloud) does not hold on the next passes: the edge's alarm stands.
        for later in (NOW + 1_000, NOW + 60_000):
            service.run_once(later)
            assert _states(store) == {KEY: ("unack", Origin.EDGE)}
        cleared = AlarmCleared(
            src="shed-a", seq=2, ts=NOW + 61_000, alarm_id="bl-2", alarm_class=AlarmClass.SERVICE,
            alarm_type="bike_left_after_full", device="post-1", socket=2,
        )  # fmt: skip
        store.write(Batch(events=[(cleared, NOW + 61_000)]))
        service.run_once(NOW + 61_000)
        assert _states(store) == {KEY: ("rtn_unack", Origin.EDGE)}  # the edge's clear does
    finally:
        store.close()
