"""Docs are the contract: every alarm type and interlock reason the edge emits is listed in docs/protocol.md."""

from edge.actions import Emit
from edge.decide import decide
from protocol.docgen import ALARM_TYPES, INTERLOCK_REASONS
from protocol.uplink import AlarmRaised, InterlockAction
from tests.unit.edge.scenario import T0, load_scenarios, make_input, make_state


def test_every_alarm_type_and_interlock_reason_in_the_scenarios_is_documented() -> None:
    alarm_types: set[str] = set()
    reasons: set[str] = set()
    for sc in load_scenarios():
        state = make_state(posts=sc.get("posts", 1), sockets=sc.get("sockets", 4), thresholds=sc.get("thresholds"))
        wall_offset = int(sc.get("wall_ms", T0)) - T0
        for step in sc["steps"]:
            if "relay_result" in step:
                continue  # needs the request id of an earlier command; adds no alarm type
            now = T0 + int(step["at"] * 1000)
            _, actions = decide(state, make_input(step, now + wall_offset), now, now + wall_offset)
            for a in actions:
                if isinstance(a, Emit) and isinstance(a.event, AlarmRaised):
                    alarm_types.add(a.event.alarm_type)
                elif isinstance(a, Emit) and isinstance(a.event, InterlockAction):
                    reasons.add(a.event.reason)
    assert len(alarm_types) >= 15  # the tables exercise most conditions
    assert alarm_types <= set(ALARM_TYPES), alarm_types - set(ALARM_TYPES)
    assert reasons <= set(ALARM_TYPES) | set(INTERLOCK_REASONS), reasons - set(ALARM_TYPES) - set(INTERLOCK_REASONS)
