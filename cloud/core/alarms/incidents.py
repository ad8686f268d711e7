"""Incidents: the alarms of one shed within a window, grouped into one thing to page about and follow.

``place(incident, alarm, now, policy)`` says whether an announced alarm opens a new incident, joins the shed's
open one (and whether that is news worth an update to the people already alerted), or pages nobody.

Routing by class (shared domain practice, ISA-18.2 priorities):
- fire, pre-fire, supervisory, trouble: an incident with service clocks; staff are paged;
- service (bike left after full, already reminded 3 times): an incident, paged, without escalation;
- operational (a socket cut for over-power and the like): shown, never paged on its own.

Upgrade: an alarm of a more urgent paged class joining the open incident makes it that class and pages as a
new incident of that class would (a fire: the guard and the shift leader at once), with both service clocks
restarted at the upgrade: an acceptance or arrival given for the lesser call does not answer the more urgent one
(they stay in the timeline). Steps of the upgraded phase are prefixed ``upN_`` so each is paged once.

Inhibition (ISA-18.2 "designed suppression"): while a shed has an open fire or pre-fire incident, its
socket-level operational and trouble alarms join that incident and page nobody: the fire is the news.
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from cloud.core.alarms.model import Alarm, rank
from protocol.uplink import AlarmClass

PAGED = frozenset(
    {AlarmClass.FIRE, AlarmClass.PRE_FIRE, AlarmClass.SUPERVISORY, AlarmClass.TROUBLE, AlarmClass.SERVICE}
)
ESCALATED = frozenset({AlarmClass.FIRE, AlarmClass.PRE_FIRE, AlarmClass.SUPERVISORY, AlarmClass.TROUBLE})
FIRE_LIKE = frozenset({AlarmClass.FIRE, AlarmClass.PRE_FIRE})
INHIBITED = frozenset({AlarmClass.OPERATIONAL, AlarmClass.TROUBLE})


class Resolution(StrEnum):
    """What the alarm turned out to be (GB 25201: staff classify every alarm as real, false or test)."""

    REAL = "real"
    FALSE = "false"
    TEST = "test"
    DEVICE_FAULT = "device_fault"


@dataclass(frozen=True, slots=True)
class Incident:
    """One emergency at one shed. Times UTC ms; ``alarm_class`` is its most urgent alarm's class."""

    id: str
    shed: str
    alarm_class: AlarmClass
    opened_ms: int
    last_alarm_ms: int
    alarms: int = 1
    acked_ms: int | None = None
    acked_by: str | None = None
    onsite_ms: int | None = None
    onsite_by: str | None = None
    resolved_ms: int | None = None
    resolution: Resolution | None = None
    note: str = ""
    updates: int = 0  # update alerts sent so far (each a step of its own)
    upgrades: int = 0  # class upgrades so far; each restarts the paging steps and clocks
    class_ms: int | None = None  # when the incident took its current class by an upgrade (None: at opening)
    acked_by_name: str | None = None  # the display name of acked_by (cloud.alarms.names), for people to read
    onsite_by_name: str | None = None

    @property
    def acked_by_shown(self) -> str | None:
        """Who accepted, as people know them."""
        return self.acked_by_name or self.acked_by

    @property
    def onsite_by_shown(self) -> str | None:
        """Who arrived, as people know them."""
        return self.onsite_by_name or self.onsite_by

    @property
    def open(self) -> bool:
        """Not yet resolved."""
        return self.resolved_ms is None

    @property
    def clock_ms(self) -> int:
        """Where the service clocks and paging steps run from (UTC ms): the opening or the latest upgrade."""
        return self.opened_ms if self.class_ms is None else self.class_ms

    @property
    def step_prefix(self) -> str:
        """Prefix of this phase's step names: '' before any upgrade, 'upN_' after the Nth."""
        return f"up{self.upgrades}_" if self.upgrades else ""

    @property
    def escalates(self) -> bool:
        """Whether the service clocks escalate it."""
        return self.alarm_class in ESCALATED


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    """An open incident takes a shed's new alarms until it has been quiet for ``window_ms``."""

    window_ms: int = 30 * 60_000


class Placement(StrEnum):
    """What happens to an announced alarm."""

    OPEN = "open"  # a new incident: page its first step
    JOIN = "join"  # joins the open incident quietly (timeline only)
    UPGRADE = "upgrade"  # joins and makes it more urgent: paged as a new incident of that class, clocks restart
    SHOW = "show"  # no incident, nobody paged (operational)


@dataclass(frozen=True, slots=True)
class Placed:
    """The placement and the incident after it (None for SHOW)."""

    placement: Placement
    incident: Incident | None


def inhibited(incident: Incident | None, alarm: Alarm) -> bool:
    """A socket-level operational or trouble alarm during the shed's open fire or pre-fire incident."""
    return (
        incident is not None
        and incident.open
        and incident.alarm_class in FIRE_LIKE
        and alarm.alarm_class in INHIBITED
        and alarm.key.socket_level
    )


def place(
    incident: Incident | None,
    alarm: Alarm,
    now: int,
    *,
    new_id: str,
    policy: GroupPolicy = GroupPolicy(),
    member: bool = False,
) -> Placed:
    """Where an announced alarm of ``incident``'s shed goes (``incident``: the shed's newest, or None).

    ``member``: the alarm already belongs to ``incident`` (announced again: a return, the end of a shelve, an
    upgrade); it is not counted a second time, ``alarms`` counts distinct alarms."""
    if alarm.alarm_class not in PAGED and not member:
        # Operational: shown only, never an incident's alarm by grouping; the one way in is inhibition (the
        # service's ``inhibited``: a fire or pre-fire incident), whose members may be announced again.
        return Placed(Placement.SHOW, None)
    joinable = incident is not None and incident.open and now - incident.last_alarm_ms <= policy.window_ms
    if incident is not None and joinable:
        joined = replace(incident, alarms=incident.alarms + (0 if member else 1), last_alarm_ms=now)
        if rank(alarm.alarm_class) < rank(incident.alarm_class) and alarm.alarm_class in PAGED:
            return Placed(Placement.UPGRADE, upgrade(joined, alarm.alarm_class, now))
        return Placed(Placement.JOIN, joined)
    if alarm.alarm_class not in PAGED:
        return Placed(Placement.SHOW, None)  # a member whose incident closed or went quiet
    fresh = Incident(id=new_id, shed=alarm.key.shed, alarm_class=alarm.alarm_class, opened_ms=now, last_alarm_ms=now)
    return Placed(Placement.OPEN, fresh)


def upgrade(incident: Incident, alarm_class: AlarmClass, now: int) -> Incident:
    """``incident`` made ``alarm_class`` at ``now``: a new paging phase whose clocks start at ``now``."""
    return replace(
        incident,
        alarm_class=alarm_class,
        upgrades=incident.upgrades + 1,
        class_ms=now,
        acked_ms=None,
        acked_by=None,
        acked_by_name=None,
        onsite_ms=None,
        onsite_by=None,
        onsite_by_name=None,
    )


def acknowledge(incident: Incident, who: str, now: int, name: str | None = None) -> Incident | str:
    """The incident accepted by ``who`` (its display ``name``) (the 3-minute promise); a reason if it cannot be."""
    if not incident.open:
        return "incident resolved"
    if incident.acked_ms is not None:
        return f"already acknowledged by {incident.acked_by_shown}"
    return replace(incident, acked_ms=now, acked_by=who, acked_by_name=name)


def arrive(incident: Incident, who: str, now: int, name: str | None = None) -> Incident | str:
    """Staff on site (the 10-minute promise); arriving also accepts the call if nobody had."""
    if not incident.open:
        return "incident resolved"
    if incident.onsite_ms is not None:
        return f"already on site: {incident.onsite_by_shown}"
    accepted = replace(incident, acked_ms=now, acked_by=who, acked_by_name=name)
    acked = incident if incident.acked_ms is not None else accepted
    return replace(acked, onsite_ms=now, onsite_by=who, onsite_by_name=name)


def resolve(incident: Incident, resolution: Resolution, note: str, now: int) -> Incident | str:
    """Close the incident with what it was and a note."""
    if not incident.open:
        return "incident already resolved"
    return replace(incident, resolved_ms=now, resolution=resolution, note=note)
