"""An incident's ``alarms`` counts distinct alarms: one presented again (its shelve ended) is not counted twice."""

from pathlib import Path

import pytest

from cloud.alarms.actions import resolve_incident, shelve_alarm
from cloud.alarms.repo import AlarmRepo
from cloud.core.alarms.incidents import Resolution
from cloud.core.alarms.inputs import Actor
from cloud.core.alarms.load import load
from cloud.core.alarms.model import AlarmKey
from cloud.state import staff_rows
from protocol.uplink import AlarmClass, AlarmCleared, AlarmRaised
from tests.integration.alarms.edge_alarms import edge_alarm
from tests.integration.alarms.seeded import NOW, open_incidents, seeded_store, service_of, write_events

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


def test_a_resolved_incident_keeps_its_alarm_when_the_alarm_is_presented_again(tmp_path: Path) -> None:
    low = edge_alarm("shed-a", 1, NOW, alarm_type="low_pressure", alarm_class=AlarmClass.SUPERVISORY, device="ext-1")
    store = seeded_store(tmp_path / "state.db", {"shed": "shed-a", "extinguishers": ["ext-1"]}, [low])
    key = AlarmKey("shed-a", "ext-1", 0, "low_pressure")
    try:
        service = service_of(store)
        service.run_once(NOW)
        [first] = open_incidents(store)
        shelve_alarm(service, key, 60, "refill", Actor("lead", "cli"), NOW)
        resolve_incident(service, first.id, Resolution.FALSE, "gauge misread", Actor("lead", "cli"), NOW + 1_000)
        service.run_once(NOW + 61_000)  # the shelve ends: the alarm is presented again, a new incident opens
        [second] = open_incidents(store)
        assert second.id != first.id
        with store.engine.connect() as conn:
            # The resolved incident still lists the alarm that joined it (history), as does the new one.
            assert [r.alarm.key for r in staff_rows.incident_alarms(conn, first.id)] == [key]
            assert [r.alarm.key for r in staff_rows.incident_alarms(conn, second.id)] == [key]
        resolve_incident(service, second.id, Resolution.REAL, "empty", Actor("lead", "cli"), NOW + 62_000)
        with store.engine.connect() as conn:
            [record] = AlarmRepo(conn, sqlite=True).load_records(0)
        # Both classifications the alarm took part in count for its device's false-alarm rate.
        assert record.resolutions == (Resolution.FALSE, Resolution.REAL)
        assert load([record], start_ms=NOW - 1, end_ms=NOW + 3_600_000, operators=1).false_rate == {"ext-1": (1, 0.5)}
    finally:
        store.close()


def test_an_alarm_back_from_normal_is_an_alarm_returned_line(tmp_path: Path) -> None:
    def low(seq: int, ts: int, raised: bool = True) -> AlarmRaised | AlarmCleared:
        return edge_alarm(
            "shed-a",
            seq,
            ts,
            alarm_type="low_pressure",
            alarm_class=AlarmClass.SUPERVISORY,
            device="ext-1",
            raised=raised,
        )

    store = seeded_store(tmp_path / "state.db", {"shed": "shed-a", "extinguishers": ["ext-1"]}, [low(1, NOW)])
    try:
        service = service_of(store)
        service.run_once(NOW)
        write_events(store, [low(2, NOW + 1_000, raised=False), low(3, NOW + 2_000)], NOW + 2_000)
        service.run_once(NOW + 2_000)  # cleared (unacknowledged), then raised again: it returned
        [incident] = open_incidents(store)
        with store.engine.connect() as conn:
            kinds = [e.kind for e in AlarmRepo(conn, sqlite=True).timeline(incident)]
        assert "alarm_returned" in kinds and "alarm_joined" not in kinds, kinds
    finally:
        store.close()
