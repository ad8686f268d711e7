"""The simulated post obeys a post-level relay-off (no socket) and answers for every socket."""

from protocol.codec import encode
from protocol.device import PostTelemetry, RelayCommand, RelayResult
from protocol.topics import Kind, device_topic
from simulators.battery import BatterySpec
from tests.unit.sim.helpers import T0, make_sim


def _post_off(reason: str, request_id: str = "r-post") -> RelayCommand:
    return RelayCommand(src="shed-t", seq=0, ts=T0, request_id=request_id, on=False, reason=reason)


def test_a_post_level_off_opens_every_relay_and_answers_one_result_per_socket() -> None:
    sim = make_sim(posts=2, sockets=4)
    for n in (1, 2, 4):
        sim.plug("post-1", n, BatterySpec(), 0.3)
    sim.plug("post-2", 1, BatterySpec(), 0.3)
    sim.advance_to(T0 + 30_000)
    sim.drain()
    sim.handle_relay_message(device_topic(Kind.RELAY_SET, "shed-t", "post-1"), encode(_post_off("smoke")))
    out, truth = sim.drain()
    results = [o.message for o in out if o.kind is Kind.RELAY_RESULT]
    assert all(isinstance(r, RelayResult) for r in results)
    answered = [(r.socket, r.request_id, r.ok, r.relay) for r in results]
    assert answered == [(n, "r-post", True, False) for n in (1, 2, 3, 4)]
    topic = device_topic(Kind.RELAY_RESULT, "shed-t", "post-1")
    assert all(o.topic == topic for o in out if o.kind is Kind.RELAY_RESULT)
    assert [r["record"] for r in truth] == ["relay_command"] + ["relay_result"] * 4
    assert truth[0]["socket"] is None and [r["socket"] for r in truth[1:]] == [1, 2, 3, 4]
    post1 = sim.post("post-1")
    assert not any(s.relay for s in post1.sockets) and all(s.tripped for s in post1.sockets)
    assert sim.post("post-2").sockets[0].relay  # another post is untouched
    # the post reports at once: every relay open, nothing drawn
    sim.advance_to(sim.now_ms + 1)
    out, _ = sim.drain()
    tel = [o.message for o in out if o.kind is Kind.POST_TELEMETRY and o.message.src == "post-1"]
    assert tel and isinstance(tel[0], PostTelemetry)
    assert not any(r.relay for r in tel[0].sockets) and all(r.power_w == 0 for r in tel[0].sockets)


def test_a_normal_stop_reason_at_post_level_latches_nothing() -> None:
    sim = make_sim(posts=1, sockets=2)
    sim.plug("post-1", 1, BatterySpec(), 0.3)
    sim.handle_relay("post-1", _post_off("operator_stop"))
    assert not any(s.tripped or s.relay for s in sim.post("post-1").sockets)


def test_an_offline_post_ignores_a_post_level_off() -> None:
    sim = make_sim(posts=1, sockets=2)
    sim.plug("post-1", 1, BatterySpec(), 0.3)
    sim.post("post-1").online = False
    sim.drain()
    sim.handle_relay("post-1", _post_off("smoke"))
    out, truth = sim.drain()
    assert not [o for o in out if o.kind is Kind.RELAY_RESULT]
    assert [r["record"] for r in truth] == ["relay_command", "relay_ignored"]
    assert sim.post("post-1").sockets[0].relay
