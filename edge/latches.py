"""Safety latches as plain records, so they survive a restart of the agent (a power cut, SIGKILL, an upgrade).

A latched trip holds until an authorised reset, not until the agent happens to restart:
the agent stores these records on every change and puts them back into a fresh state at start.
"""

from typing import Any

from edge.state import AlarmTrack, ShedState
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
    return out


def restore(state: ShedState, latches: list[Latch]) -> int:
    """Put stored latches back into a fresh state; records for sockets no longer configured are kept as alarms."""
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
    return n
