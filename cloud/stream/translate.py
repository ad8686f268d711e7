"""Domain events from the bus to stream events (pure): what each stream event type carries.

* ``socket``: a socket's status changed (``status`` null: the socket left the shed's configuration);
* ``socket_stop``: an operator's stop of a socket was applied or lifted (who and when, if known);
* ``availability``: once per shed touched by a batch (a socket, its stop or its edge going on- or offline), the shed's
  counts after the batch, the same object as one entry of GET /api/v1/availability;
* ``alarm``: an alarm the edge raised or cleared (``state`` "active" or "cleared");
* ``session``: a charging session changed (owner: the resident).

Times are epoch ms: ``ts`` the source's, ``received_at`` the cloud's arrival.
"""

from collections.abc import Callable, Iterable
from typing import Any

from cloud.core.charging.precision import stated, stated_yuan
from cloud.core.events import (
    AnyEvent,
    EdgeAlarmCleared,
    EdgeAlarmRaised,
    EdgeOffline,
    EdgeOnline,
    SessionChanged,
    SocketRemoved,
    SocketStatusChanged,
    SocketStopChanged,
)
from cloud.stream.frames import Outgoing

AvailabilityOf = Callable[[str], dict[str, Any] | None]


def translate(
    events: Iterable[AnyEvent], *, community_of: Callable[[str], str], availability_of: AvailabilityOf
) -> list[Outgoing]:
    """The stream events a committed batch of domain events makes, in order; availability last per batch."""
    out: list[Outgoing] = []
    touched: dict[str, None] = {}  # sheds whose counts may have changed, in first-touched order
    for e in events:
        community = community_of(e.shed)
        if isinstance(e, SocketStatusChanged | SocketRemoved):
            status = e.status.value if isinstance(e, SocketStatusChanged) else None
            previous = e.previous.value if e.previous is not None else None
            data = {"shed": e.shed, "device": e.device, "socket": e.socket, "status": status, "previous": previous}
            out.append(Outgoing("socket", community, {**data, "seq": e.seq, "ts": e.ts, "received_at": e.received_at}))
            touched[e.shed] = None
        elif isinstance(e, SocketStopChanged):
            data = {"shed": e.shed, "device": e.device, "socket": e.socket, "stopped": e.stopped}
            stop = {"stopped_by": e.actor, "stopped_ts": e.stopped_ts}
            out.append(
                Outgoing(
                    "socket_stop", community, {**data, **stop, "seq": e.seq, "ts": e.ts, "received_at": e.received_at}
                )
            )
            touched[e.shed] = None
        elif isinstance(e, EdgeOnline | EdgeOffline):
            touched[e.shed] = None
        elif isinstance(e, EdgeAlarmRaised | EdgeAlarmCleared):
            out.append(Outgoing("alarm", community, _alarm(e)))
        elif isinstance(e, SessionChanged):
            out.append(Outgoing("session", community, _session(e), owner=e.user_id))
    for shed in touched:
        counts = availability_of(shed)
        if counts is not None:
            out.append(Outgoing("availability", community_of(shed), counts))
    return out


def _alarm(e: EdgeAlarmRaised | EdgeAlarmCleared) -> dict[str, Any]:
    return {
        "source": "edge",
        "shed": e.shed,
        "alarm_id": e.alarm_id,
        "state": "active" if isinstance(e, EdgeAlarmRaised) else "cleared",
        "alarm_class": e.alarm_class.value,
        "alarm_type": e.alarm_type,
        "device": e.device,
        "socket": e.socket,
        "message": e.message,
        "ts": e.ts,
        "received_at": e.received_at,
    }


def _session(e: SessionChanged) -> dict[str, Any]:
    return {
        "session_id": e.session_id,
        "shed": e.shed,
        "device": e.device,
        "socket": e.socket,
        "status": e.status,
        "energy_wh": stated(e.energy_wh),  # to 0.01 Wh and to the fen: the running sums carry float noise
        "cost_yuan": stated_yuan(e.cost_yuan),
        "end_reason": e.end_reason,
        "ts": e.ts,
    }
