"""An operator's stop of a socket as a plain record, so it survives a restart of the agent like a latch.

A stop (``stop_socket``) holds the socket off until ``start_socket``, not until the agent happens to restart
(a crash, SIGKILL, a power cut of the Pi, an upgrade): a stopped socket on an open shed was powered again by
the post after a restart. The records are stored with the latches (edge.latches, fsynced) and put back at start,
before the shed broker is even connected, so no relay can be closed under a stop that was lost.

Stored state that cannot be read fails safe: every socket is held stopped and a latched trouble alarm
``stored_state_unreadable`` is raised; an operator lifts each stop with ``start_socket`` once the shed is checked.
"""

from typing import Any

from edge.alarms import raise_latched
from edge.context import Ctx
from edge.state import ShedState, SocketState
from protocol.uplink import AlarmClass, CommandResult

OPERATOR_STOP = "operator_stop"  # the hold-off a stop_socket sets (edge.commands)
UNREADABLE = "stored_state_unreadable"  # the trouble alarm when stored latches or stops cannot be read

Record = dict[str, Any]


def stopped(sock: SocketState) -> bool:
    """Whether an operator's stop holds this socket off."""
    return sock.hold_off == OPERATOR_STOP


def stops_of(state: ShedState) -> list[Record]:
    """A record for every stopped socket."""
    return [{"scope": "stop", "device": s.device, "socket": s.socket} for s in state.sockets() if stopped(s)]


def restore_stop(state: ShedState, rec: Record) -> bool:
    """Hold the recorded socket stopped; False when the config no longer has it (nothing to hold)."""
    post = state.posts.get(str(rec.get("device")))
    sock = post.sockets.get(int(rec.get("socket") or 0)) if post else None
    if sock is None:
        return False
    sock.hold_off = OPERATOR_STOP
    return True


def hold_all(state: ShedState) -> int:
    """Fail safe when stored state cannot be read: whichever socket was stopped, every one is now; how many."""
    for sock in state.sockets():
        sock.hold_off = OPERATOR_STOP
    return len(state.sockets())


def on_unreadable(ctx: Ctx, records: int) -> None:
    """Raise the latched trouble alarm for stored records that could not be read (the sockets are held already)."""
    raise_latched(
        ctx,
        AlarmClass.TROUBLE,
        UNREADABLE,
        message=f"{records} stored latch/stop record(s) unreadable: every socket held stopped until start_socket",
    )


def not_stored(result: CommandResult) -> CommandResult:
    """The answer to give when the stops and latches a command changed could not be stored.

    An applied command becomes ``failed``: what it did holds now (a stopped socket is off) but would not survive a
    restart, so it is not acknowledged as done; a rejected or expired one changed nothing and stays as it was.
    """
    if result.status != "applied":
        return result
    detail = f"applied but not stored (lost on a restart of the agent): {result.detail}".rstrip(": ")
    return result.model_copy(update={"status": "failed", "detail": detail[:200]})
