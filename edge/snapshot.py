"""The socket snapshot a birth certificate carries: each socket's status and whether an operator's stop holds it.

The stop (``hold_off`` ``operator_stop``) is stored with the latches and put back at start (edge.stops), so the
first birth after a restart of the agent says ``stopped`` for every socket still stopped. The cloud takes the
birth's word (cloud.core.live), so the two never disagree for long.
"""

from edge.state import ShedState
from edge.stops import stopped
from protocol.uplink import SocketSnapshot


def birth_snapshot(state: ShedState) -> list[SocketSnapshot]:
    """Every socket, posts in config order."""
    return [
        SocketSnapshot(device=s.device, socket=s.socket, status=s.status, stopped=stopped(s)) for s in state.sockets()
    ]
