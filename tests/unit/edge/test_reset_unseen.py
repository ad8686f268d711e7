"""A reset lifts no latch it cannot see: a stale socket whose relay was never confirmed open keeps its latch."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.actions import Answer, Emit
from edge.decide import decide
from edge.inputs import Tick
from protocol.device import PostTelemetry
from protocol.uplink import AlarmCleared, SocketStatus, SocketStatusChanged
from tests.unit.edge.scenario import T0, make_input, make_state, sock_reading


def _post(seq: int, now: int, specs: list[dict[str, Any]]) -> PostTelemetry:
    readings = [sock_reading(s) for s in specs]
    return PostTelemetry(src="post-1", seq=seq, ts=now, total_power_w=0.0, sockets=readings)


@given(silent=st.sets(st.integers(1, 2), min_size=1), targeted=st.booleans())
@settings(max_examples=20, deadline=None)
def test_stale_sockets_never_confirmed_open_keep_their_latch(silent: set[int], targeted: bool) -> None:
    """Sockets 1 and 2 charge on a post whose sockets 3 and 4 are tripped and confirmed open; 1 or 2 go silent."""
    state = make_state()
    decide(state, _post(1, T0, [{"socket": n, "power_w": 200.0} for n in range(1, 5)]), T0)
    decide(state, _post(2, T0 + 1000, [{"socket": n, "power_w": 1500.0} for n in (3, 4)]), T0 + 1000)  # over_power
    now = T0 + 2000
    loud = [n for n in (1, 2) if n not in silent]
    # from now on the silent sockets say nothing; 3 and 4 report their relays open, the loud one keeps charging
    for i in range(8):
        now += 5000
        specs = [{"socket": n, "power_w": 0.0, "relay": False} for n in (3, 4)]
        decide(state, _post(3 + i, now, specs + [{"socket": n, "power_w": 200.0} for n in loud]), now)
        decide(state, Tick(), now + 1)
    socks = state.posts["post-1"].sockets
    assert all(socks[n].trip == "stale_telemetry" for n in silent)
    target: dict[str, Any] = {"device": "post-1", "socket": min(silent)} if targeted else {}
    _, actions = decide(state, make_input({"command": {"action": "reset_trip"} | target}, now + 2), now + 2)
    [answer] = [a.result for a in actions if isinstance(a, Answer)]
    kept = {min(silent)} if targeted else silent
    assert all(socks[n].trip == "stale_telemetry" for n in kept)
    assert all(f"post-1/{n} (stale_telemetry)" in answer.detail for n in kept)
    assert "telemetry stale and relay not confirmed open" in answer.detail
    events = [a.event for a in actions if isinstance(a, Emit)]
    charging = [e.socket for e in events if isinstance(e, SocketStatusChanged) and e.status == SocketStatus.CHARGING]
    assert not set(charging) & kept
    assert not [e for e in events if isinstance(e, AlarmCleared) and e.socket in kept]
    if targeted:
        assert answer.status == "rejected"
    else:
        assert answer.status == "applied" and all(socks[n].trip is None for n in (3, 4))
