"""Service clocks on every incident: accepted within 3 minutes, staff on site within 10, and escalation.

The promise of the community's property service ("a call is accepted within 3 minutes and staff are on site
within 10") becomes two deadlines from the incident's opening. ``due_steps`` lists every paging step whose
time has come and whose condition still holds; it is a function of the stored incident and ``now`` only, so a
leader that restarts (or takes over) finds exactly the steps its predecessor had or had not yet taken, and the
outbox's uniqueness on (incident, step, person) keeps each from being sent twice.

Steps (level 0 = on-duty guard, 1 = shift leader, 2 = property manager with the default chain):
- ``open`` at opening: level 0; a fire also pages level 1 at once;
- ``ack_overdue_1`` / ``ack_overdue_2``: not accepted after 1x / 2x the accept promise: level 1 / level 2;
- ``onsite_overdue``: nobody on site at the on-site promise: levels 1 and 2.

After a class upgrade (see incidents.py) the steps start again from the upgrade, named ``upN_open`` etc.
"""

from dataclasses import dataclass
from enum import StrEnum

from cloud.core.alarms.incidents import Incident
from protocol.uplink import AlarmClass


@dataclass(frozen=True, slots=True)
class Promise:
    """The service promise of one community, in seconds."""

    ack_s: float = 180.0
    onsite_s: float = 600.0


@dataclass(frozen=True, slots=True)
class Step:
    """One paging step: its name (unique within the incident), the levels it pages, when it falls due."""

    name: str
    levels: tuple[int, ...]
    due_ms: int


class ClockState(StrEnum):
    """Where one service clock stands."""

    RUNNING = "running"  # neither done nor past its deadline, incident open
    KEPT = "kept"  # done at or before the deadline
    BROKEN = "broken"  # not done by the deadline (while open, or resolved after it)
    RESOLVED = "resolved"  # the incident was resolved before the deadline without it: ended, neither kept nor broken


def _state(done_ms: int | None, due_ms: int, resolved_ms: int | None, now: int) -> ClockState:
    if done_ms is not None:
        return ClockState.KEPT if done_ms <= due_ms else ClockState.BROKEN
    # Resolution ends a clock that nobody answered: nothing can be accepted or reached any more, so the clock
    # must not keep running (a false alarm resolved in seconds is no broken promise).
    end = now if resolved_ms is None else min(now, resolved_ms)
    if end > due_ms:
        return ClockState.BROKEN
    return ClockState.RUNNING if resolved_ms is None or resolved_ms > now else ClockState.RESOLVED


def _kept(state: ClockState) -> bool | None:
    return {ClockState.KEPT: True, ClockState.BROKEN: False}.get(state)


@dataclass(frozen=True, slots=True)
class ClockView:
    """Both clocks of one incident at ``now``: deadlines, state, whether kept (None: running or ended by
    resolution before its deadline), seconds to the action (None: not done), and the seconds since the clocks
    started (to the resolution once resolved), all on the cloud's clock."""

    ack_due_ms: int
    onsite_due_ms: int
    ack_kept: bool | None
    onsite_kept: bool | None
    ack_s: float | None
    onsite_s: float | None
    ack_state: ClockState
    onsite_state: ClockState
    started_ms: int
    elapsed_s: float
    now_ms: int


def clocks(incident: Incident, now: int, promise: Promise = Promise()) -> ClockView:
    """The two clocks of ``incident`` at ``now``; a clock ends at its action or at the incident's resolution."""
    start, resolved = incident.clock_ms, incident.resolved_ms
    ack_due = start + int(promise.ack_s * 1000)
    onsite_due = start + int(promise.onsite_s * 1000)
    ack = _state(incident.acked_ms, ack_due, resolved, now)
    onsite = _state(incident.onsite_ms, onsite_due, resolved, now)
    return ClockView(
        ack_due_ms=ack_due,
        onsite_due_ms=onsite_due,
        ack_kept=_kept(ack),
        onsite_kept=_kept(onsite),
        ack_s=None if incident.acked_ms is None else (incident.acked_ms - start) / 1000,
        onsite_s=None if incident.onsite_ms is None else (incident.onsite_ms - start) / 1000,
        ack_state=ack,
        onsite_state=onsite,
        started_ms=start,
        # A page shows this instead of judging the viewer's own clock (which may be wrong, or simulated).
        elapsed_s=max(0, (now if incident.resolved_ms is None else min(now, incident.resolved_ms)) - start) / 1000,
        now_ms=now,
    )


def due_steps(incident: Incident, now: int, promise: Promise = Promise()) -> list[Step]:
    """Every step of ``incident`` due by ``now`` whose condition held at its due time, in due order."""
    first = (0, 1) if incident.alarm_class is AlarmClass.FIRE else (0,)
    start, pre = incident.clock_ms, incident.step_prefix
    steps = [Step(f"{pre}open", first, start)]
    if incident.escalates:
        ack_ms = int(promise.ack_s * 1000)
        for n in (1, 2):
            due = start + n * ack_ms
            if incident.acked_ms is None or incident.acked_ms > due:
                steps.append(Step(f"{pre}ack_overdue_{n}", (n,), due))
        onsite_due = start + int(promise.onsite_s * 1000)
        if incident.onsite_ms is None or incident.onsite_ms > onsite_due:
            steps.append(Step(f"{pre}onsite_overdue", (1, 2), onsite_due))
    # A resolved incident stops escalating at its resolution.
    end = now if incident.resolved_ms is None else min(now, incident.resolved_ms)
    return sorted((s for s in steps if s.due_ms <= end), key=lambda s: (s.due_ms, s.name))


def next_due_ms(incident: Incident, now: int, promise: Promise = Promise()) -> int | None:
    """When the next step of an open incident will fall due, if any (for the leader's timer)."""
    if not incident.open:
        return None
    later = [s.due_ms for s in due_steps(incident, 2**62, promise) if s.due_ms > now]
    return min(later) if later else None
