"""Ground-truth files and the simulator on an injected clock (no broker: the runner is not opened)."""

from pathlib import Path

from protocol.brokerurl import BrokerUrl
from protocol.clock import ManualClock, ScaledClock, clock_from_spec
from simulators.battery import BatterySpec
from simulators.residents import arrival_probability, initial_occupancy
from simulators.runner import SimRunner
from simulators.truth import TruthWriter, last_snapshot, read_truth
from tests.unit.sim.helpers import T0, make_sim


def test_reader_skips_a_half_written_line(tmp_path: Path) -> None:
    p = tmp_path / "t.jsonl"
    with TruthWriter(p) as w:
        w.write([{"record": "a", "ts": 1}, {"record": "b", "ts": 2}])
    with p.open("a") as f:
        f.write('{"record": "c", "ts"')
    assert [r["record"] for r in read_truth(p)] == ["a", "b"]
    assert read_truth(p, "b") == [{"record": "b", "ts": 2}]
    assert read_truth(tmp_path / "missing.jsonl") == []
    assert last_snapshot(p) is None


def test_runner_steps_on_the_injected_clock_and_flushes_truth(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = make_sim()
    sim.plug("post-1", 1, BatterySpec(), 0.3)
    path = tmp_path / "truth.jsonl"
    runner = SimRunner([sim], broker=BrokerUrl.parse("mqtt://127.0.0.1:1"), clock=clock, truth=TruthWriter(path))
    for _ in range(18):
        clock.advance(10)
        assert runner.step() == clock.now_ms()
        # Readers see every record as soon as the step ends (flushed, not buffered).
        msgs = read_truth(path, "message")
        assert msgs and max(m["ts"] for m in msgs) <= clock.now_ms()
    snaps = read_truth(path, "sockets")
    assert [s["ts"] for s in snaps] == [T0 + 60_000, T0 + 120_000, T0 + 180_000]
    assert runner.published == len(read_truth(path, "message"))
    plugs = read_truth(path, "plug")
    assert plugs and plugs[0]["device"] == "post-1"
    runner.close()
    final = last_snapshot(path)
    assert final is not None and final["ts"] == T0 + 180_000
    assert final["sockets"][0]["truth"] == "charging"


def test_runner_stops_at_the_scenario_end(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    runner = SimRunner(
        [make_sim()],
        broker=BrokerUrl.parse("mqtt://127.0.0.1:1"),
        clock=clock,
        truth=TruthWriter(None),
        stop_at_ms=T0 + 5_000,
    )
    clock.advance(60)
    assert runner.run() == 0  # returns at once: the end is already reached
    assert all(s.now_ms == T0 + 5_000 for s in runner.sims.values())


def test_processes_sharing_a_clock_spec_agree() -> None:
    a = ScaledClock(speed=600, epoch_ms=T0)
    b = clock_from_spec(a.spec())
    assert abs(a.now_ms() - b.now_ms()) < 600 * 50  # within 50 ms of real scheduling noise


def test_arrivals_peak_in_the_evening() -> None:
    # T0 is 08:00 in Beijing (UTC+8)
    at = {h: arrival_probability(T0 + (h - 8) % 24 * 3_600_000, 3600, 8.0) for h in range(24)}
    assert max(at, key=lambda h: at[h]) in (18, 19, 20)
    assert at[19] > 5 * at[3]
    assert initial_occupancy(T0 + 14 * 3_600_000, 8.0) > initial_occupancy(T0 + 4 * 3_600_000, 8.0)
