"""The simulated post's supervision watchdog: relays open after N missed keep-alives from the edge."""

from protocol.codec import encode
from protocol.device import EdgeKeepAlive
from protocol.topics import Kind, device_topic
from simulators.battery import BatterySpec
from simulators.shed import ShedSim
from tests.unit.sim.helpers import T0, make_sim


def _keepalive(sim: ShedSim, post: str = "post-1", interval_s: float = 5.0) -> None:
    msg = EdgeKeepAlive(src="shed-t", seq=1, ts=sim.now_ms, interval_s=interval_s)
    sim.handle_relay_message(device_topic(Kind.KEEPALIVE, "shed-t", post), encode(msg))


def _relays(sim: ShedSim, post: str = "post-1") -> list[bool]:
    return [s.relay for s in sim.posts[post].sockets]


def test_relays_stay_closed_while_keepalives_arrive_and_open_after_three_missed() -> None:
    sim = make_sim()
    sim.plug("post-1", 1, BatterySpec(), 0.3)
    sim.plug("post-1", 3, BatterySpec(), 0.5)
    for _ in range(12):  # one minute of keep-alives every 5 s
        _keepalive(sim)
        sim.advance_to(sim.now_ms + 5_000)
    assert _relays(sim) == [True, False, True, False]
    assert not [r for r in sim.drain()[1] if r["record"] == "watchdog"]
    last = sim.now_ms
    _keepalive(sim)
    sim.advance_to(last + 14_999)  # 3 intervals of 5 s not yet over
    assert _relays(sim) == [True, False, True, False]
    sim.advance_to(last + 15_000)
    assert _relays(sim) == [False, False, False, False]
    truth = [r for r in sim.drain()[1] if r["record"] == "watchdog"]
    assert [(r["device"], r["sockets"], r["ts"]) for r in truth] == [("post-1", [1, 3], last + 15_000)]
    assert _relays(sim, "post-2") == [False] * 4  # never armed, nothing to open


def test_the_watchdog_is_a_setting_and_sleeps_until_the_first_keepalive() -> None:
    sim = make_sim()
    sim.posts["post-1"].watchdog_missed = 5
    sim.plug("post-1", 2, BatterySpec(), 0.3)
    sim.advance_to(T0 + 600_000)  # no edge has ever spoken: a post without an edge keeps its own behaviour
    assert _relays(sim)[1] is True
    start = sim.now_ms
    _keepalive(sim, interval_s=2.0)
    sim.advance_to(start + 9_999)
    assert _relays(sim)[1] is True
    sim.advance_to(start + 10_000)
    assert _relays(sim)[1] is False


def test_a_post_cut_off_from_the_broker_hears_no_keepalive() -> None:
    sim = make_sim()
    sim.plug("post-1", 1, BatterySpec(), 0.3)
    _keepalive(sim)
    start = sim.now_ms
    sim.posts["post-1"].online = False
    sim.advance_to(start + 10_000)
    _keepalive(sim)  # not heard
    sim.advance_to(start + 15_000)
    assert _relays(sim)[0] is False
