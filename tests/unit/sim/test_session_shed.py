"""An authorised shed's posts: bikes plug in and wait; the relay closes only on the edge's command."""

from edge.sessions import CUT_REASON
from protocol.device import RelayCommand
from protocol.uplink import SocketStatus
from simulators.scenario import load_scenario
from simulators.socket import is_normal_stop

T0 = 1_767_286_800_000


def _relay(on: bool, reason: str, request_id: str = "r-1") -> RelayCommand:
    return RelayCommand(src="shed-a", seq=1, ts=T0, request_id=request_id, socket=1, on=on, reason=reason)


def test_bikes_wait_until_the_edge_starts_a_session_and_stop_cleanly() -> None:
    (sim,) = load_scenario("authorised-shed").build(T0)
    sim.advance_to(T0 + 600_000)
    sock = sim.socket("post-1", 1)
    assert sock.bike is not None and not sock.relay and sock.energy_wh == 0.0
    assert sock.truth() is SocketStatus.PLUGGED
    sim.handle_relay("post-1", _relay(True, "session_start"))
    sim.advance_to(T0 + 660_000)
    assert sock.relay and sock.energy_wh > 0 and sock.truth() is SocketStatus.CHARGING
    sim.handle_relay("post-1", _relay(False, "limit_energy", "r-2"))
    assert not sock.relay and not sock.tripped and sock.truth() is SocketStatus.PLUGGED


def test_every_session_relay_reason_is_a_normal_stop_for_the_twin() -> None:
    for reason in [*CUT_REASON.values(), "no_session"]:
        assert is_normal_stop(reason), reason


def test_an_open_shed_still_charges_at_plug_in() -> None:
    (sim,) = load_scenario("bike-left-after-full").build(T0)
    sim.advance_to(T0 + 1000)
    assert sim.socket("post-3", 7).relay


def test_residents_of_an_authorised_shed_plug_in_and_wait() -> None:
    (sim,) = load_scenario("authorised-shed").build(
        T0 + 2 * 3_600_000, residents=True
    )  # 03:00 local: most sockets taken
    sim.advance_to(sim.now_ms + 3_600_000)
    socks = [s for p in sim.posts.values() for s in p.sockets]
    assert len([r for r in sim.truth if r["record"] == "plug"]) >= 3  # residents' bikes besides the scenario's
    assert not any(s.relay for s in socks) and all(s.energy_wh == 0.0 for s in socks)
