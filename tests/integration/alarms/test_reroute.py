"""A person's targets change while an alert to them is retrying against a dead one: the alert is closed as
superseded and reaches the new target once (a real webhook receiver), never retried forever."""

from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.alarms.config import AlarmConfig
from cloud.core.notify.policy import Backoff
from cloud.notify.worker import Notifier
from cloud.state.alarm_schema import alerts
from protocol.uplink import AlarmClass
from shedwatch.ports import free_port
from shedwatch.webhook_receiver import HttpReceiver
from tests.integration.alarms.edge_alarms import edge_alarm
from tests.integration.alarms.seeded import NOW, seeded_store, service_of

pytestmark = pytest.mark.integration


def config(target: str) -> AlarmConfig:
    return AlarmConfig.model_validate(
        {"person": [{"id": "guard-li", "targets": [target]}],
         "community": [{"name": "default", "shift": [{"role": "guard", "person": "guard-li"}]}]}
    )  # fmt: skip


def test_an_alert_to_a_removed_target_goes_to_the_new_one_once(tmp_path: Path, webhook: HttpReceiver) -> None:
    dead = f"json://127.0.0.1:{free_port()}/gone"  # nothing listens: refused, retried
    low = edge_alarm("shed-a", 1, NOW, alarm_type="low_pressure", alarm_class=AlarmClass.SUPERVISORY, device="ext-1")
    store = seeded_store(tmp_path / "state.db", {"shed": "shed-a", "extinguishers": ["ext-1"]}, [low])
    notifier = Notifier(store.engine, sqlite=True, backoff=Backoff(first_s=1, max_s=1))
    try:
        service = service_of(store, config(dead))
        service.run_once(NOW)
        assert notifier.run_once(NOW) == 1 and notifier.stats.failed_attempts == 1  # still pending: retrying

        service.config = config(f"json://127.0.0.1:{webhook.port}")  # the person's target replaced
        for now in (NOW + 2_000, NOW + 4_000, NOW + 6_000):
            service.run_once(now)
            notifier.run_once(now)
        with store.engine.connect() as conn:
            rows = {t: s for t, s in conn.execute(select(alerts.c.target, alerts.c.status))}
        assert rows == {dead: "superseded", f"json://127.0.0.1:{webhook.port}": "delivered"}
        assert sum("Ref: " in t and "/open/guard-li" in t for t in webhook.texts()) == 1
        assert service.stats.alerts_superseded == 1
    finally:
        notifier.close()
        store.close()
