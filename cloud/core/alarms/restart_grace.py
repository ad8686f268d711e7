"""After the cloud (re)starts, an edge it has not heard from yet gets the usual silence window to come back.

The stored state of a shed survives a restart: an edge whose will arrived before the cloud stopped is still
"dead" in it, and one that was silent is still old. Judged at once, every planned restart (a demo run in a kept
data dir, an upgrade of the cloud) paged the guard with a new ``edge_offline`` for an outage the restart itself
caused, although the edges reconnect seconds later. So an edge not heard since the cloud's first rule pass is
judged only once ``offline_heartbeats`` heartbeat intervals of the cloud's clock have passed, the same patience
a running cloud gives a silent edge. An ``edge_offline`` already active from before the restart stays active
(it is never cleared by the wait), and an edge that stays away is alarmed when the window ends: nothing is lost.
"""

from collections.abc import Iterable, Mapping

from cloud.core.alarms.inputs import Raise
from cloud.core.alarms.model import Alarm, AlarmKey
from cloud.core.alarms.rules import EDGE_OFFLINE, RulePolicy, ShedFacts


def offline_window_ms(policy: RulePolicy) -> int:
    """How long an edge may be silent before it is offline (ms): ``offline_heartbeats`` heartbeat intervals."""
    return int(policy.offline_heartbeats * policy.heartbeat_s * 1000)


def hold_after_start(
    active: Mapping[AlarmKey, Raise],
    opened: Iterable[Alarm],
    facts: ShedFacts,
    now: int,
    started_ms: int,
    policy: RulePolicy,
) -> dict[AlarmKey, Raise]:
    """``active`` without a new ``edge_offline`` for an edge not heard since ``started_ms`` while the window after
    ``started_ms`` runs; every other condition, and an edge_offline already active, as given."""
    key = AlarmKey(facts.shed, "", 0, EDGE_OFFLINE)
    kept = dict(active)
    if key not in kept:
        return kept
    if any(a.key == key and a.active for a in opened):
        return kept  # an outage alarmed before the restart stays alarmed
    seen = facts.edge_last_seen_ms
    if seen is not None and seen >= started_ms:
        return kept  # heard in this run: judged as always
    if now - started_ms >= offline_window_ms(policy):
        return kept
    del kept[key]
    return kept
