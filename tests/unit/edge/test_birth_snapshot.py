"""The birth's socket snapshot says which sockets an operator's stop holds off: until start_socket, whatever a reset,
an unplug or a restart of the agent does (the stop is stored with the latches), so the cloud follows the edge."""

from edge.latches import latches_of, restore
from edge.snapshot import birth_snapshot
from protocol.device import SocketState as Plug
from tests.unit.edge.scenario import make_state
from tests.unit.edge.test_charging_session_rules import authorised


def _stopped(state: object) -> dict[int, bool]:
    return {s.socket: s.stopped for s in birth_snapshot(state) if s.device == "post-1"}  # type: ignore[arg-type]


def test_the_snapshot_shows_a_stop_until_start_socket_and_across_a_restart() -> None:
    shed = authorised(mode="open")
    shed.reading(200.0)
    assert shed.command("stop_socket", device="post-1", socket=1).result.status == "applied"
    assert _stopped(shed.state)[1] and not _stopped(shed.state)[2]
    shed.command("reset_trip", device="post-1", socket=1)
    shed.reading(0.0, relay=False, plug=Plug.EMPTY)  # the bike leaves
    assert _stopped(shed.state)[1]
    # A restart: a fresh state with the stored records put back holds the same stop, and only that one.
    fresh = make_state()
    restore(fresh, latches_of(shed.state))
    assert _stopped(fresh) == {1: True, 2: False, 3: False, 4: False}
    assert shed.command("start_socket", device="post-1", socket=1).result.status == "applied"
    assert not _stopped(shed.state)[1]
    again = make_state()
    restore(again, latches_of(shed.state))
    assert not any(_stopped(again).values())
