"""decide(alarm, input, now): the alarm lifecycle after ISA-18.2 and OPC UA Part 9, as a pure function.

::

    Raise          Clear                Acknowledge
    NORMAL ──> UNACK ──────> RTN_UNACK ──────────> NORMAL
                 │  ^  Raise     │
     Acknowledge │  └────────────┘
                 v     Clear
               ACKED ──────────────────────────> NORMAL

A Raise of an open alarm updates it (value, message, ``raise_count``) instead of opening a second one;
a Raise after NORMAL opens the next ``instance`` of the same key. Shelve, suppress and out-of-service
hide an alarm without changing its state; fire and pre-fire can never be hidden. Silence stops the sound
and nothing else. Every accepted change yields one audit entry; a refused action yields a reason and
leaves the alarm as it was.
"""

from dataclasses import dataclass, replace

from cloud.core.alarms.inputs import (
    Acknowledge,
    Actor,
    AlarmInput,
    Assign,
    Clear,
    Comment,
    OutOfService,
    Raise,
    Shelve,
    Silence,
    Suppress,
    Tick,
    Unshelve,
)
from cloud.core.alarms.model import LIFE_SAFETY, Alarm, Lifecycle, Origin, rank


@dataclass(frozen=True, slots=True)
class Policy:
    """Lifecycle settings: the longest shelve allowed (ISA-18.2 asks for a time limit on every shelve)."""

    max_shelve_ms: int = 8 * 3600 * 1000  # one shift


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One accepted change: what, by whom (None for the system), from which device, and a detail."""

    action: str
    actor: str | None = None
    device: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The alarm after the input, whether it newly needs to be announced, the audit entry or the refusal."""

    alarm: Alarm | None
    announce: bool = False  # a new or returning annunciation: page / sound
    audit: AuditEntry | None = None
    refused: str | None = None


def _by(actor: Actor, action: str, detail: str = "") -> AuditEntry:
    return AuditEntry(action, actor.who, actor.device, detail)


# The audit actions a Raise of an open instance writes (a return before acknowledge; an update): the alarm-load
# figures count them as raises (cloud.core.alarms.load, chattering).
RERAISE_ACTIONS = ("returned", "updated")


def decide(alarm: Alarm | None, inp: AlarmInput, now: int, policy: Policy = Policy()) -> Outcome:
    """The next state of one alarm (``None``: no instance yet) after ``inp`` at ``now`` (UTC ms)."""
    if isinstance(inp, Raise):
        return _raise(alarm, inp, now)
    if alarm is None:
        return Outcome(None, refused="no such alarm")
    if isinstance(inp, Clear):
        return _clear(alarm, now)
    if isinstance(inp, Tick):
        return _tick(alarm, now)
    return _staff(alarm, inp, now, policy)


def _raise(alarm: Alarm | None, inp: Raise, now: int) -> Outcome:
    if alarm is None or not alarm.open:
        new = Alarm(
            key=inp.key,
            alarm_class=inp.alarm_class,
            state=Lifecycle.UNACK,
            raised_ms=now,
            instance=1 if alarm is None else alarm.instance + 1,
            message=inp.message,
            value=inp.value,
            threshold=inp.threshold,
            origin=inp.origin,
            # Maintenance and out-of-service belong to the source, so they carry over to the next instance.
            suppressed=alarm.suppressed if alarm else False,
            out_of_service=alarm.out_of_service if alarm else False,
        )
        if inp.alarm_class in LIFE_SAFETY:
            new = replace(new, suppressed=False, out_of_service=False)
        return Outcome(new, announce=new.annunciated(now), audit=AuditEntry("raised", detail=inp.message))
    # An open alarm: one per key. A class can only move to a more urgent one (an edge upgrade), never down.
    more_urgent = rank(inp.alarm_class) < rank(alarm.alarm_class)
    updated = replace(
        alarm,
        alarm_class=inp.alarm_class if more_urgent else alarm.alarm_class,
        message=inp.message or alarm.message,
        value=inp.value,
        threshold=inp.threshold,
        raise_count=alarm.raise_count + 1,
        # Once the edge has raised it, only the edge clears it (a cloud rule never ends an edge alarm).
        origin=Origin.EDGE if Origin.EDGE in (alarm.origin, inp.origin) else Origin.CLOUD,
    )
    if updated.alarm_class in LIFE_SAFETY:
        # An upgrade to fire or pre-fire ends any hiding: life safety is never shelved, suppressed or out of service.
        updated = replace(updated, shelved_until_ms=None, shelved_by=None, suppressed=False, out_of_service=False)
    if alarm.state is Lifecycle.RTN_UNACK:
        # Back before anyone acknowledged the return: active and unacknowledged again, and heard again.
        updated = replace(updated, state=Lifecycle.UNACK, cleared_ms=None, silenced=False)
        return Outcome(updated, announce=updated.annunciated(now), audit=AuditEntry("returned", detail=inp.message))
    return Outcome(updated, announce=more_urgent and updated.annunciated(now), audit=AuditEntry("updated"))


def _clear(alarm: Alarm, now: int) -> Outcome:
    if alarm.state is Lifecycle.UNACK:
        return Outcome(replace(alarm, state=Lifecycle.RTN_UNACK, cleared_ms=now), audit=AuditEntry("cleared"))
    if alarm.state is Lifecycle.ACKED:
        return Outcome(
            replace(alarm, state=Lifecycle.NORMAL, cleared_ms=now, shelved_until_ms=None, shelved_by=None),
            audit=AuditEntry("cleared"),
        )
    return Outcome(alarm, refused="not active")


def _tick(alarm: Alarm, now: int) -> Outcome:
    if alarm.shelved_until_ms is not None and now >= alarm.shelved_until_ms:
        unshelved = replace(alarm, shelved_until_ms=None, shelved_by=None)
        # A shelve that ends on an alarm still needing attention presents it again.
        announce = unshelved.annunciated(now) and unshelved.state is Lifecycle.UNACK
        return Outcome(unshelved, announce=announce, audit=AuditEntry("shelve_expired"))
    return Outcome(alarm)


def _staff(alarm: Alarm, inp: AlarmInput, now: int, policy: Policy) -> Outcome:
    if isinstance(inp, Acknowledge):
        if alarm.state is Lifecycle.UNACK:
            acked = replace(alarm, state=Lifecycle.ACKED, acked_ms=now, acked_by=inp.actor.who, silenced=True)
            return Outcome(acked, audit=_by(inp.actor, "acknowledged"))
        if alarm.state is Lifecycle.RTN_UNACK:
            closed = replace(
                alarm,
                state=Lifecycle.NORMAL,
                acked_ms=now,
                acked_by=inp.actor.who,
                silenced=True,
                shelved_until_ms=None,
                shelved_by=None,
            )
            return Outcome(closed, audit=_by(inp.actor, "acknowledged"))
        return Outcome(alarm, refused="already acknowledged")
    if isinstance(inp, Silence):
        if alarm.silenced or not alarm.open:
            return Outcome(alarm, refused="already silent")
        return Outcome(replace(alarm, silenced=True), audit=_by(inp.actor, "silenced"))
    if isinstance(inp, Shelve):
        if alarm.alarm_class in LIFE_SAFETY:
            return Outcome(alarm, refused=f"{alarm.alarm_class.value} alarms can never be shelved")
        if not alarm.open:
            return Outcome(alarm, refused="not open")
        if not 0 < inp.duration_ms <= policy.max_shelve_ms:
            return Outcome(alarm, refused=f"shelve duration must be in (0, {policy.max_shelve_ms}] ms")
        shelved = replace(alarm, shelved_until_ms=now + inp.duration_ms, shelved_by=inp.actor.who)
        return Outcome(shelved, audit=_by(inp.actor, "shelved", f"until {now + inp.duration_ms}: {inp.reason}"))
    if isinstance(inp, Unshelve):
        if alarm.shelved_until_ms is None:
            return Outcome(alarm, refused="not shelved")
        unshelved = replace(alarm, shelved_until_ms=None, shelved_by=None)
        announce = unshelved.annunciated(now) and unshelved.state is Lifecycle.UNACK
        return Outcome(unshelved, announce=announce, audit=_by(inp.actor, "unshelved"))
    if isinstance(inp, Suppress):
        if inp.on and alarm.alarm_class in LIFE_SAFETY:
            return Outcome(alarm, refused=f"{alarm.alarm_class.value} alarms are never suppressed")
        if alarm.suppressed == inp.on:
            return Outcome(alarm, refused="unchanged")
        after = replace(alarm, suppressed=inp.on)
        announce = not inp.on and after.annunciated(now) and after.state is Lifecycle.UNACK
        return Outcome(after, announce=announce, audit=_by(inp.actor, "suppressed" if inp.on else "unsuppressed"))
    if isinstance(inp, OutOfService):
        if inp.on and alarm.alarm_class in LIFE_SAFETY:
            return Outcome(alarm, refused=f"{alarm.alarm_class.value} alarms are never taken out of service")
        if alarm.out_of_service == inp.on:
            return Outcome(alarm, refused="unchanged")
        action = "out_of_service" if inp.on else "in_service"
        return Outcome(replace(alarm, out_of_service=inp.on), audit=_by(inp.actor, action, inp.reason))
    if isinstance(inp, Assign):
        if alarm.assignee == inp.assignee:
            # Assigning the one already responsible again: done already, nothing to record (answered as done).
            return Outcome(alarm)
        return Outcome(replace(alarm, assignee=inp.assignee), audit=_by(inp.actor, "assigned", inp.assignee))
    if isinstance(inp, Comment):
        if not inp.text.strip():
            return Outcome(alarm, refused="empty comment")
        return Outcome(alarm, audit=_by(inp.actor, "commented", inp.text))
    raise TypeError(f"not an alarm input: {inp!r}")
