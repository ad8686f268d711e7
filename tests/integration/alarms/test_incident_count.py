"""An incident's ``alarms`` counts distinct alarms: one presented again (its shelve ended) is not counted twice."""

from pathlib import Path

import pytest

from cloud.alarms.actions import shelve_alarm
from cloud.core.alarms.inputs import Actor
from cloud.core.alarms.model import AlarmKey
from protocol.uplink import AlarmClass
from tests.integration.alarms.edge_alarms import edge_alarm
from tests.integration.alarms.seeded import NOW, open_incidents, seeded_store, service_of

pytestmark = pytest.mark.integration


def test_a_shelved_alarm_presented_again_is_counted_once(tmp_path: Path) -> None:
    low = edge_alarm("shed-a", 1, NOW, alarm_type="low_pressure", alarm_class=AlarmClass.SUPERVISORY, device="ext-1")
    store = seeded_store(tmp_path / "state.db", {"shed": "shed-a", "extinguishers": ["ext-1"]}, [low])
    try:
        service = service_of(store)
        service.run_once(NOW)
        shelve_alarm(service, AlarmKey("shed-a", "ext-1", 0, "low_pressure"), 60, "refill", Actor("lead", "cli"), NOW)
        service.run_once(NOW + 61_000)  # the shelve ends on an active unacknowledged alarm: presented again
        [incident] = open_incidents(store)
        assert incident.alarms == 1
    finally:
        store.close()
