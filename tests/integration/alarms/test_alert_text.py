"""An alert says which socket and what reading: the edge sends thermal_runaway with an empty message, and the
alert the service queues composes one from the event's socket, value and threshold."""

from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.alarms.config import AlarmConfig
from cloud.state.alarm_schema import alerts
from protocol.uplink import AlarmClass, AlarmRaised
from tests.integration.alarms.seeded import NOW, seeded_store, service_of

pytestmark = pytest.mark.integration


def test_an_alert_names_the_socket_and_the_reading(tmp_path: Path) -> None:
    runaway = AlarmRaised(
        src="shed-a", seq=1, ts=NOW, alarm_id="shed-a/thermal_runaway/a-post-1/3", alarm_class=AlarmClass.PRE_FIRE,
        alarm_type="thermal_runaway", device="a-post-1", socket=3, value=1.4, threshold=1.0,
    )  # fmt: skip
    store = seeded_store(tmp_path / "state.db", {"shed": "shed-a"}, [runaway])
    config = AlarmConfig.model_validate(
        {"person": [{"id": "guard-li", "targets": ["json://127.0.0.1:1/hook"]}],
         "community": [{"name": "default", "shift": [{"role": "guard", "person": "guard-li"}]}]}
    )  # fmt: skip
    try:
        service_of(store, config).run_once(NOW)
        with store.engine.connect() as conn:
            [body] = conn.execute(select(alerts.c.body)).scalars().all()
    finally:
        store.close()
    assert "pre_fire: a-post-1 socket 3 thermal_runaway 1.4 °C/s (threshold 1 °C/s)" in body
