"""Safety latches, charging sessions and operator stops as plain records, so they survive a restart of the agent.

A latched trip holds until an authorised reset, not until the agent happens to restart (a power
cut, SIGKILL, an upgrade); a charging session keeps its age, energy and full/float timers, so its
limits are not started again; an operator's stop holds until start_socket (edge.stops). The agent
stores these records on every change and puts them back into a fresh state at start.
"""

from typing import Any

from edge.state import AlarmTrack, ShedState
from edge.stops import restore_stop, stops_of
from protocol.clock import plausible
from protocol.uplink import AlarmClass

Latch = dict[str, Any]


def latches_of(state: ShedState) -> list[Latch]:
    """Every latch in the state: socket trips, shed trips and their latched alarms."""
    out: list[Latch] = [
        {"scope": "socket", "device": s.device, "socket": s.socket, "reason": s.trip}
        for s in state.sockets()
        if s.trip is not None
    ]
    out += [{"scope": "shed", "reason": r} for r in sorted(state.shed_trips)]
    out += [
        {
            "scope": "alarm",
            "alarm_id": a.alarm_id,
            "alarm_class": a.alarm_class.value,
            "alarm_type": a.alarm_type,
            "device": a.device,
            "socket": a.socket,
        }
        for a in state.alarms.values()
        if a.active and a.latched
    ]
    out += [
        {
            "scope": "session",
            "device": s.device,
            "socket": s.socket,
            "session_id": s.session_id,
            "start_wall": s.session_start_wall,
            "full_since_wall": s.full_since_wall,
            "ended_full": s.ended_full,
            "charging_seen": s.charging_seen,
            "energy_wh": s.session_energy_wh,
            "counter_wh": s.energy_wh,
        }
        for s in state.sockets()
        if s.session_id is not None
    ]
    return out + stops_of(state)


def restore(state: ShedState, latches: list[Latch], *, mono_ms: int = 0, wall_ms: int = 0) -> int:
    """Put stored records back into a fresh state; returns how many latches (sessions are not counted).

    A session's age is carried on the wall clock (``wall_ms`` now minus its start): only when both stamps
    are plausible; otherwise the session is timed again from now (the monotonic clock restarts with the
    agent). It must be confirmed by the post's next reading (relay closed, plugged) or it ends; until then
    it is supervised like any switched-on socket (stale after 3 silent intervals).
    """
    n = 0
    for latch in latches:
        scope = latch.get("scope")
        if scope == "socket":
            post = state.posts.get(str(latch.get("device")))
            sock = post.sockets.get(int(latch.get("socket") or 0)) if post else None
            if sock is not None:
                sock.trip = str(latch.get("reason") or "restored_latch")
                n += 1
        elif scope == "shed":
            state.shed_trips.add(str(latch.get("reason") or "restored_latch"))
            n += 1
        elif scope == "alarm":
            track = AlarmTrack(
                alarm_id=str(latch["alarm_id"]),
                alarm_class=AlarmClass(latch["alarm_class"]),
                alarm_type=str(latch["alarm_type"]),
                device=latch.get("device"),
                socket=latch.get("socket"),
                active=True,
                latched=True,
            )
            state.alarms[track.alarm_id] = track
        elif scope == "session":
            _session(state, latch, mono_ms, wall_ms)
        elif scope == "stop":
            restore_stop(state, latch)
    return n


def restore_checked(state: ShedState, records: list[Latch], *, mono_ms: int = 0, wall_ms: int = 0) -> tuple[int, int]:
    """:func:`restore` record by record: (latches restored, records that could not be applied).

    A record with a missing or malformed field is not applied and is counted: the caller fails safe
    (edge.stops.hold_all), as it cannot tell what that record held.
    """
    n = bad = 0
    for rec in records:
        try:
            n += restore(state, [rec], mono_ms=mono_ms, wall_ms=wall_ms)
        except (KeyError, TypeError, ValueError, AttributeError):
            bad += 1
    return n, bad


def _age(wall_ms: int, then: Any) -> int:
    if not isinstance(then, int) or not (plausible(then) and plausible(wall_ms)):
        return 0
    return max(0, wall_ms - then)


def _session(state: ShedState, rec: Latch, mono_ms: int, wall_ms: int) -> None:
    post = state.posts.get(str(rec.get("device")))
    sock = post.sockets.get(int(rec.get("socket") or 0)) if post else None
    if sock is None:
        return
    sock.session_id = str(rec["session_id"])
    sock.session_start_wall = rec.get("start_wall")
    sock.session_start_ms = mono_ms - _age(wall_ms, rec.get("start_wall"))
    full = rec.get("full_since_wall")
    if full is not None:
        sock.full_since_wall = full
        sock.full_since_ms = mono_ms - _age(wall_ms, full)
    sock.ended_full = bool(rec.get("ended_full"))
    sock.charging_seen = bool(rec.get("charging_seen"))
    sock.session_energy_wh = float(rec.get("energy_wh") or 0.0)
    sock.energy_wh = float(rec.get("counter_wh") or 0.0)
    sock.energy_seen = True  # the next reading adds what was counted while the agent was down
    sock.plugged = sock.relay = sock.seen = True
    sock.last_ms = mono_ms
