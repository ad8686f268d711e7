"""The shed twin: report schedule, sequence numbers, relay commands, snapshots."""

import itertools
from collections import defaultdict

from protocol.codec import decode_message, encode
from protocol.device import PostTelemetry, RelayResult
from protocol.topics import Kind, device_topic
from simulators.battery import BatterySpec
from simulators.shed import Outgoing
from tests.unit.sim.helpers import T0, make_sim, relay_cmd


def run(sim, seconds: float) -> tuple[list[Outgoing], list[dict]]:
    out: list[Outgoing] = []
    truth: list[dict] = []
    sim.advance_to(sim.now_ms + int(seconds * 1000))
    o, t = sim.drain()
    out += o
    truth += t
    return out, truth


def test_every_message_validates_on_its_topic() -> None:
    sim = make_sim()
    sim.plug("post-1", 1, BatterySpec(), 0.3)
    out, _ = run(sim, 300)
    assert out
    for o in out:
        topic, msg = decode_message(o.topic, encode(o.message))
        assert topic.kind is o.kind and msg == o.message


def test_telemetry_every_10_s_heartbeat_every_60_s_seq_contiguous_from_zero() -> None:
    sim = make_sim()
    out, _ = run(sim, 600)
    by_src: dict[str, list[Outgoing]] = defaultdict(list)
    for o in out:
        by_src[o.message.src].append(o)
    assert set(by_src) == {"post-1", "post-2", "ext-1", "ext-2", "env-1"}
    for src, msgs in by_src.items():
        assert [m.message.seq for m in msgs] == list(range(len(msgs))), src
        ts = [m.message.ts for m in msgs]
        assert ts == sorted(ts) and ts[0] >= T0 and ts[-1] <= T0 + 600_000
    tel = [o.message.ts for o in by_src["post-1"] if o.kind is Kind.POST_TELEMETRY]
    assert {b - a for a, b in itertools.pairwise(tel)} == {10_000}
    hb = [o.message.ts for o in by_src["post-1"] if o.kind is Kind.POST_HEARTBEAT]
    assert len(hb) == 10 and {b - a for a, b in itertools.pairwise(hb)} == {60_000}
    env = [o.message.ts for o in by_src["env-1"]]
    assert {b - a for a, b in itertools.pairwise(env)} == {10_000}
    ext = [o.message.ts for o in by_src["ext-1"]]
    assert {b - a for a, b in itertools.pairwise(ext)} == {60_000}


def test_relay_command_is_obeyed_and_answered() -> None:
    sim = make_sim()
    sim.plug("post-1", 2, BatterySpec(), 0.3)
    run(sim, 30)
    cmd = relay_cmd(2, False, "over_temperature", request_id="abc")
    sim.handle_relay_message(device_topic(Kind.RELAY_SET, "shed-t", "post-1"), encode(cmd))
    out, truth = sim.drain()
    results = [o.message for o in out if o.kind is Kind.RELAY_RESULT]
    assert len(results) == 1
    res = results[0]
    assert isinstance(res, RelayResult)
    assert res.request_id == "abc" and res.ok and res.relay is False and res.socket == 2
    assert res.src == "post-1" and res.ts == sim.now_ms
    assert [r["record"] for r in truth] == ["relay_command", "relay_result"]
    # The post reports at once after the change, and the socket draws nothing.
    out, _ = run(sim, 0.001)
    tel = [o.message for o in out if o.kind is Kind.POST_TELEMETRY]
    assert tel and isinstance(tel[0], PostTelemetry)
    reading = tel[0].sockets[1]
    assert reading.relay is False and reading.power_w == 0
    assert sim.snapshot()["sockets"][1]["truth"] == "faulted"


def test_bad_relay_payloads_are_counted_not_raised() -> None:
    sim = make_sim()
    topic = device_topic(Kind.RELAY_SET, "shed-t", "post-1")
    sim.handle_relay_message(topic, b"{not json")
    sim.handle_relay_message(topic, b'{"v":1}')
    sim.handle_relay_message(device_topic(Kind.RELAY_SET, "shed-t", "post-9"), encode(relay_cmd(1, False, "x")))
    sim.handle_relay_message("sw/v1/nonsense", b"")
    assert sim.bad_commands == 4
    out, _ = sim.drain()
    assert not [o for o in out if o.kind is Kind.RELAY_RESULT]


def test_relay_command_for_a_missing_socket_gets_a_failed_result() -> None:
    sim = make_sim(sockets=4)
    sim.handle_relay("post-1", relay_cmd(9, True, "start"))
    out, _ = sim.drain()
    res = next(o.message for o in out if o.kind is Kind.RELAY_RESULT)
    assert isinstance(res, RelayResult)
    assert not res.ok and res.error and "no socket 9" in res.error


def test_snapshot_every_minute_with_truth_status() -> None:
    sim = make_sim()
    sim.plug("post-1", 1, BatterySpec(), 0.3)
    sim.plug("post-1", 2, BatterySpec(), 1.0)
    _, truth = run(sim, 185)
    snaps = [t for t in truth if t["record"] == "sockets"]
    assert [s["ts"] - T0 for s in snaps] == [60_000, 120_000, 180_000]
    by = {(s["device"], s["socket"]): s for s in snaps[-1]["sockets"]}
    assert len(by) == 8
    assert by[("post-1", 1)]["truth"] == "charging" and by[("post-1", 1)]["plugged"]
    assert by[("post-1", 2)]["truth"] == "plugged"  # plugged in already full: it never drew charging power
    assert by[("post-2", 4)]["truth"] == "free" and by[("post-2", 4)]["soc"] is None


def test_same_seed_same_run() -> None:
    a, b = make_sim(seed=5, residents=True), make_sim(seed=5, residents=True)
    oa, _ = run(a, 3600)
    ob, _ = run(b, 3600)
    assert [encode(o.message) for o in oa] == [encode(o.message) for o in ob]


def test_residents_arrive_in_the_evening_and_many_stay_overnight() -> None:
    from simulators.shed import ShedSim
    from tests.unit.sim.helpers import shed_config

    start = T0 + 8 * 3_600_000  # 16:00 in Beijing
    sim = ShedSim(shed_config(2, 10), start_ms=start, seed=3, residents=True)
    _, truth = run(sim, 7 * 3600)  # to 23:00
    plugs = [t for t in truth if t["record"] == "plug"]
    evening = [p for p in plugs if (p["ts"] - start) / 3.6e6 >= 2]  # after 18:00 local
    assert len(plugs) >= 8 and len(evening) > len(plugs) / 2
    occupied = [s for s in sim.snapshot()["sockets"] if s["plugged"]]
    assert len(occupied) >= 6
    _, truth = run(sim, 10 * 3600)  # to 09:00 next morning
    assert len([t for t in truth if t["record"] == "unplug"]) >= 4
