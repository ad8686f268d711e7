"""Cloud-side alarm rules: conditions only the cloud can see, as pure functions of a shed's facts and the time.

``evaluate(facts, now, policy)`` answers which cloud conditions are active now; ``transitions`` turns the
difference from the open alarms into Raise and Clear inputs for the lifecycle. Nothing is remembered between
calls except the facts, so a restarted leader evaluates the same conditions from the same stored facts.

Rules and defaults (each a setting; sources in the comments):
- edge offline: its MQTT will (death) arrived, or no heartbeat for 3 intervals (edge heartbeat 30 s: 90 s);
- device silent: the fallback for the edge's own ``device_offline``. Raised only while the edge is online and
  has not reported the device offline, after nothing was heard from it for ``device_silent_s`` plus
  ``device_report_grace_s`` (the edge reports at 3 x its 60 s device heartbeat = 180 s too: the grace lets that
  report arrive first, so one fact raises one alarm). It catches what the edge cannot say: a device the edge
  does not know (a cloud inventory the shed's config lacks), or an edge whose own liveness check is broken.
  While the edge itself is offline, its devices are not reported one by one (one cause, one alarm);
- extinguisher inspection overdue: monthly, half-monthly for crowded places (Chinese fire-equipment
  inspection practice); counted from the last recorded inspection, else from registration;
- bike left on a socket after full: reminders to the resident every ``reminder_interval_s``, a service alarm to
  staff after 3 (national guide on community e-bike charging, 2024), or after one interval when nobody is known;
- post over its total limit for ``post_over_hold_s``;
- a sensor with more than 5 false alarms a day (GB 50440 calls for action above 5);
- delivery gap: stream seqs of the shed that the cloud gave up on (the edge no longer holds them; see
  docs/protocol.md, end-to-end acknowledgement). A momentary condition: active for ``gap_alarm_hold_s`` after
  the cloud gave them up, then returned to normal but unacknowledged until someone acknowledges (ISA-18.2).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cloud.core.alarms.inputs import Clear, Raise
from cloud.core.alarms.model import Alarm, AlarmKey, Origin
from protocol.uplink import AlarmClass

DAY_MS = 86_400_000

EDGE_OFFLINE = "edge_offline"
DEVICE_SILENT = "device_silent"
INSPECTION_OVERDUE = "inspection_overdue"
BIKE_LEFT = "bike_left_after_full"
POST_OVER_LIMIT = "post_over_limit_long"
FALSE_ALARMS = "false_alarms_excess"
DELIVERY_GAP = "delivery_gap"
CLOUD_TYPES = frozenset(
    {EDGE_OFFLINE, DEVICE_SILENT, INSPECTION_OVERDUE, BIKE_LEFT, POST_OVER_LIMIT, FALSE_ALARMS, DELIVERY_GAP}
)


@dataclass(frozen=True, slots=True)
class RulePolicy:
    """Thresholds of the cloud rules (defaults from shared domain practice, see the module docstring)."""

    heartbeat_s: float = 30.0
    offline_heartbeats: int = 3
    device_silent_s: float = 180.0  # post heartbeat 60 s x 3
    device_report_grace_s: float = 30.0  # for the edge's own device_offline to arrive first
    inspection_days: float = 30.0
    crowded_inspection_days: float = 15.0
    reminder_interval_s: float = 900.0
    staff_after_reminders: int = 3
    post_limit_w: float = 8700.0
    post_over_hold_s: float = 600.0
    false_alarms_per_day: int = 5
    gap_alarm_hold_s: float = 600.0


@dataclass(frozen=True, slots=True)
class FullSocket:
    """A socket whose bike is full but still plugged: since when, and the session's owner if known."""

    since_ms: int
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class LostGap:
    """Stream seqs ``first``..``last`` of a shed the cloud gave up on, and when it did (UTC ms)."""

    first: int
    last: int
    given_up_ms: int


@dataclass(frozen=True, slots=True)
class ShedFacts:
    """What the cloud knows of one shed for its rules (times UTC ms)."""

    shed: str
    edge_last_seen_ms: int | None = None
    edge_dead: bool = False
    crowded: bool = False
    registered_ms: int = 0
    device_seen_ms: Mapping[str, int] = field(default_factory=dict)
    devices_reported_offline: frozenset[str] = frozenset()
    extinguishers: frozenset[str] = frozenset()
    inspected_ms: Mapping[str, int] = field(default_factory=dict)
    full_sockets: Mapping[tuple[str, int], FullSocket] = field(default_factory=dict)
    post_over_since_ms: Mapping[str, int] = field(default_factory=dict)
    post_watts: Mapping[str, float] = field(default_factory=dict)  # each post's newest total power (W)
    post_limit_w: float = 8_700.0  # the shed's post limit (its newest config's post_limit_w, else the setting)
    false_alarms_ms: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    lost_gaps: tuple[LostGap, ...] = ()


def edge_offline(facts: ShedFacts, now: int, policy: RulePolicy) -> bool:
    """Its will arrived, or it has been silent for ``offline_heartbeats`` heartbeat intervals."""
    if facts.edge_dead:
        return True
    if facts.edge_last_seen_ms is None:
        return False  # never heard from: nothing to miss yet
    return now - facts.edge_last_seen_ms >= policy.offline_heartbeats * policy.heartbeat_s * 1000


def reminders_due(full: FullSocket, now: int, policy: RulePolicy) -> int:
    """How many reminders the resident should have had by ``now``: the first at full, then one per interval."""
    if now < full.since_ms:
        return 0
    return 1 + int((now - full.since_ms) // (policy.reminder_interval_s * 1000))


def inspection_due_ms(facts: ShedFacts, extinguisher: str, policy: RulePolicy) -> int:
    """When the next inspection of ``extinguisher`` falls due."""
    days = policy.crowded_inspection_days if facts.crowded else policy.inspection_days
    last = facts.inspected_ms.get(extinguisher, facts.registered_ms)
    return last + int(days * DAY_MS)


def evaluate(facts: ShedFacts, now: int, policy: RulePolicy = RulePolicy()) -> dict[AlarmKey, Raise]:
    """Every cloud condition active in this shed at ``now``, as the Raise that opens (or updates) it."""
    shed = facts.shed
    active: dict[AlarmKey, Raise] = {}

    def add(
        device: str, socket: int, alarm_type: str, cls: AlarmClass, message: str, value: float | None = None
    ) -> None:
        key = AlarmKey(shed, device, socket, alarm_type)
        active[key] = Raise(key, cls, message, value, origin=Origin.CLOUD)

    def add_over(post: str, held_s: float) -> None:
        # What a guard needs to judge it: how much, against what limit, for how long (value W, threshold W).
        watts, limit = facts.post_watts.get(post), facts.post_limit_w
        key = AlarmKey(shed, post, 0, POST_OVER_LIMIT)
        at = f"at {watts:,.0f} W, " if watts is not None else ""
        message = f"{post} {at}over its {limit:,.0f} W limit for {held_s / 60:.0f} min"
        active[key] = Raise(key, AlarmClass.OPERATIONAL, message, watts, limit, origin=Origin.CLOUD)

    offline = edge_offline(facts, now, policy)
    if offline:
        add("", 0, EDGE_OFFLINE, AlarmClass.TROUBLE, "edge offline" + (" (will)" if facts.edge_dead else ""))
    elif facts.edge_last_seen_ms is not None:  # an edge never heard from has no devices to miss yet
        limit_s = policy.device_silent_s + policy.device_report_grace_s
        for device, seen in facts.device_seen_ms.items():
            silent_s = (now - seen) / 1000
            # reported offline by the edge: its device_offline alarm is that fact; the cloud adds no second one
            if device not in facts.devices_reported_offline and silent_s >= limit_s:
                add(device, 0, DEVICE_SILENT, AlarmClass.TROUBLE, f"nothing heard for {silent_s:.0f} s", silent_s)
    for ext in sorted(facts.extinguishers):
        due = inspection_due_ms(facts, ext, policy)
        if now >= due:
            add(ext, 0, INSPECTION_OVERDUE, AlarmClass.SUPERVISORY, "inspection overdue", (now - due) / DAY_MS)
    for (device, socket), full in facts.full_sockets.items():
        sent = reminders_due(full, now, policy)
        to_staff = sent > policy.staff_after_reminders if full.owner else sent > 1
        if to_staff:
            reminded = sent - 1
            # Without a known owner nobody was reminded: staff hear of it after one interval.
            told = (
                f"{reminded} reminder{'' if reminded == 1 else 's'} to the resident"
                if full.owner
                else "no owner known, nobody reminded"
            )
            add(device, socket, BIKE_LEFT, AlarmClass.SERVICE, f"bike left after full; {told}", reminded)
    for post, since in facts.post_over_since_ms.items():
        if now - since >= policy.post_over_hold_s * 1000:
            add_over(post, (now - since) / 1000)
    for device, stamps in facts.false_alarms_ms.items():
        today = sum(1 for t in stamps if now - DAY_MS < t <= now)
        if today > policy.false_alarms_per_day:
            add(device, 0, FALSE_ALARMS, AlarmClass.TROUBLE, f"{today} false alarms in 24 h", today)
    recent = [g for g in facts.lost_gaps if 0 <= now - g.given_up_ms < policy.gap_alarm_hold_s * 1000]
    if recent:
        ranges = ", ".join(f"{g.first}..{g.last}" for g in recent[:5]) + (" ..." if len(recent) > 5 else "")
        lost = sum(g.last - g.first + 1 for g in recent)
        add("", 0, DELIVERY_GAP, AlarmClass.TROUBLE, f"stream seqs {ranges} never reached the cloud", lost)
    return active


def transitions(opened: Iterable[Alarm], active: Mapping[AlarmKey, Raise]) -> list[Raise | Clear]:
    """Raise what became active, Clear active cloud-raised alarms that are no longer. An alarm the edge raised
    (origin edge, even of a type a cloud rule also watches) is never cleared here, and while it is open the rule
    raises nothing over it: one condition, one alarm, the edge's."""
    opened = list(opened)
    cloud_active = {a.key for a in opened if a.origin is Origin.CLOUD and a.active}
    edge_open = {a.key for a in opened if a.origin is Origin.EDGE and a.open}
    out: list[Raise | Clear] = [active[k] for k in sorted(active) if k not in cloud_active and k not in edge_open]
    out += [Clear(k) for k in sorted(cloud_active) if k not in active]
    return out
