"""The socket snapshot a birth certificate carries: each socket's status and whether an operator's stop holds it.

The stop (``hold_off`` ``operator_stop``) lives in memory only, unlike the latches (edge.latches): the agent keeps
it across a reconnect to the cloud, and a restarted agent has none, so its first birth says ``stopped`` false for
every socket. The cloud takes the birth's word (cloud.core.live), so the two never disagree for long.
"""

from edge.state import ShedState
from protocol.uplink import SocketSnapshot

OPERATOR_STOP = "operator_stop"  # the hold-off a stop_socket sets (edge.commands)


def birth_snapshot(state: ShedState) -> list[SocketSnapshot]:
    """Every socket, posts in config order."""
    return [
        SocketSnapshot(device=s.device, socket=s.socket, status=s.status, stopped=s.hold_off == OPERATOR_STOP)
        for s in state.sockets()
    ]
