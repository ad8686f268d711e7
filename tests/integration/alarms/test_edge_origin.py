"""An edge alarm of a type a cloud rule also watches is the edge's: the rule's pass neither clears it nor
raises over it (docs/alarms.md: edge alarms are never cleared by the cloud)."""

from pathlib import Path

import pytest

from cloud.core.alarms.model import Origin
from protocol.uplink import AlarmClass, AlarmCleared, AlarmRaised
from tests.integration.alarms.edge_alarms import edge_alarm
from tests.integration.alarms.seeded import NOW, open_alarms, seeded_store, service_of, write_events

pytestmark = pytest.mark.integration
KEY = "shed-a/post-1/2/bike_left_after_full"


def test_the_cloud_rule_leaves_an_edge_raised_alarm_of_its_type_to_the_edge(tmp_path: Path) -> None:
    def bike(seq: int, ts: int, raised: bool = True) -> AlarmRaised | AlarmCleared:
        return edge_alarm(
            "shed-a", seq, ts, alarm_type="bike_left_after_full", alarm_class=AlarmClass.SERVICE, device="post-1",
            socket=2, raised=raised,
        )  # fmt: skip

    store = seeded_store(tmp_path / "state.db", {"shed": "shed-a"}, [bike(1, NOW)])
    try:
        service = service_of(store)
        service.run_once(NOW)

        def seen() -> dict[str, tuple[str, Origin]]:
            return {k: (a.state.value, a.origin) for k, a in open_alarms(store).items()}

        assert seen() == {KEY: ("unack", Origin.EDGE)}
        # The rule (no full socket known to the cloud) does not hold on the next passes: the edge's alarm stands.
        for later in (NOW + 1_000, NOW + 60_000):
            service.run_once(later)
            assert seen() == {KEY: ("unack", Origin.EDGE)}
        write_events(store, [bike(2, NOW + 61_000, raised=False)], NOW + 61_000)
        service.run_once(NOW + 61_000)
        assert seen() == {KEY: ("rtn_unack", Origin.EDGE)}  # the edge's own clear does
    finally:
        store.close()
