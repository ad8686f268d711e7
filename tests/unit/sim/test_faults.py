"""Every injectable fault, on a pure ShedSim."""

import itertools
import statistics
from typing import Any

import pytest

from protocol.device import EnvironmentReading, ExtinguisherStatus, PostTelemetry, RelayResult, SocketState
from protocol.topics import Kind
from simulators.battery import BatterySpec
from simulators.faults import FaultSpec
from simulators.shed import Outgoing, ShedSim, SimError
from tests.unit.sim.helpers import T0, make_sim, relay_cmd


def inject(sim: ShedSim, **kwargs: Any) -> FaultSpec:
    spec = FaultSpec(**kwargs)
    spec.check_place(sim)
    sim.schedule(T0 + int(spec.at_s * 1000), spec.start)
    return spec


def run(sim: ShedSim, seconds: float) -> tuple[list[Outgoing], list[dict[str, Any]]]:
    sim.advance_to(sim.now_ms + int(seconds * 1000))
    return sim.drain()


def socket_readings(out: list[Outgoing], post: str, socket: int) -> list[tuple[int, Any]]:
    return [
        (o.message.ts, o.message.sockets[socket - 1])
        for o in out
        if isinstance(o.message, PostTelemetry) and o.message.src == post
    ]


def test_thermal_runaway_offgas_then_heat_then_smoke_then_discharge() -> None:
    sim = make_sim()
    sim.plug("post-1", 3, BatterySpec(), 0.4)
    inject(sim, at_s=60, type="thermal_runaway", device="post-1", socket=3)
    out, truth = run(sim, 900)
    env = [o.message for o in out if isinstance(o.message, EnvironmentReading)]
    t_gas = next(m.ts for m in env if m.h2_ppm >= 100)
    t_smoke = next(m.ts for m in env if m.smoke_alarm)
    temps = socket_readings(out, "post-1", 3)
    # Heat: the first of >= 3 consecutive 1 s samples each rising >= 1 degC/s.
    t_rise = None
    for i in range(3, len(temps)):
        window = temps[i - 3 : i + 1]
        if all(
            (b[1].temp_c - a[1].temp_c) / ((b[0] - a[0]) / 1000) >= 1.0 and b[0] - a[0] <= 1000
            for a, b in itertools.pairwise(window)
        ):
            t_rise = window[0][0]
            break
    assert t_rise is not None
    ext = [o.message for o in out if isinstance(o.message, ExtinguisherStatus) and o.message.src == "ext-1"]
    t_discharge = next(m.ts for m in ext if m.discharged)
    assert T0 + 60_000 < t_gas < t_rise < t_smoke < t_discharge
    assert t_rise - t_gas >= 120_000, "off-gas gives minutes of warning"
    # Ceiling air rises faster than the 9 degC/min rate-of-rise point before the discharge.
    air = [(m.ts, m.temp_c) for m in env if t_rise <= m.ts <= t_discharge]
    assert air[-1][1] - air[0][1] >= 9 * (air[-1][0] - air[0][0]) / 60_000
    discharge = next(t for t in truth if t["record"] == "discharge")
    assert discharge["device"] == "ext-1" and 68 <= discharge["element_c"] < 70
    assert not any(
        o.message.discharged for o in out if isinstance(o.message, ExtinguisherStatus) and o.message.src == "ext-2"
    )
    # The post samples every second through the heat phase.
    gaps = {b[0] - a[0] for a, b in itertools.pairwise(temps) if t_rise <= a[0] <= t_discharge}
    assert gaps == {1000}
    assert [t["record"] for t in truth if t["record"].startswith(("fault", "runaway"))][:3] == [
        "fault",
        "runaway_heat",
        "runaway_suppressed",
    ]
    assert sim.snapshot()["sockets"][2]["truth"] == "faulted"
    # After suppression the air clears again.
    run(sim, 3600)
    assert max(sim.air.gases()) < 10 and sim.air.smoke_pct_m < 1


def test_thermal_runaway_stopped_by_cutting_power_while_venting() -> None:
    sim = make_sim()
    sim.plug("post-1", 3, BatterySpec(), 0.4)
    inject(sim, at_s=0, type="thermal_runaway", device="post-1", socket=3, params={"abort_if_cut": 1})
    run(sim, 120)
    sim.handle_relay("post-1", relay_cmd(3, False, "off_gas"))
    out, truth = run(sim, 900)
    assert "runaway_aborted" in [t["record"] for t in truth]
    assert not any(isinstance(o.message, ExtinguisherStatus) and o.message.discharged for o in out)
    assert max(r.temp_c for _, r in socket_readings(out, "post-1", 3)) < 60


def test_socket_overtemp_crosses_65_and_ends() -> None:
    sim = make_sim()
    sim.plug("post-2", 1, BatterySpec(), 0.3)
    inject(sim, at_s=10, type="socket_overtemp", device="post-2", socket=1, duration_s=1800)
    out, _ = run(sim, 1500)
    temps = socket_readings(out, "post-2", 1)
    assert max(r.temp_c for _, r in temps) > 65
    during = [ts for ts, _ in temps if T0 + 12_000 <= ts <= T0 + 1_500_000]
    assert {b - a for a, b in itertools.pairwise(during)} == {1000}  # fast sampling during the fault
    _, truth = run(sim, 2400)
    assert "fault_end" in [t["record"] for t in truth]
    assert sim.socket("post-2", 1).temp_c < 40


def test_high_power_load_on_an_empty_socket_and_on_a_bike() -> None:
    sim = make_sim()
    sim.plug("post-1", 2, BatterySpec(), 0.3)
    inject(sim, at_s=5, type="high_power", device="post-1", socket=1, params={"load_w": 1500})
    inject(sim, at_s=5, type="high_power", device="post-1", socket=2, params={"load_w": 1200})
    out, _ = run(sim, 30)
    last = socket_readings(out, "post-1", 1)[-1][1]
    assert last.power_w > 1000 and last.current_a > 5
    assert socket_readings(out, "post-1", 2)[-1][1].power_w > 1100


def test_charger_failure_oscillates() -> None:
    sim = make_sim()
    sim.plug("post-1", 1, BatterySpec(), 0.3)
    inject(sim, at_s=0, type="charger_failure", device="post-1", socket=1, params={"amplitude_w": 150})
    out, _ = run(sim, 120)
    powers = [r.power_w for _, r in socket_readings(out, "post-1", 1)[5:]]
    assert max(powers) - min(powers) > 200
    assert statistics.pstdev(powers) > 50


def test_short_circuit_trips_the_post_protection() -> None:
    sim = make_sim()
    sim.plug("post-1", 4, BatterySpec(), 0.3)
    inject(sim, at_s=5, type="short_circuit", device="post-1", socket=4)
    out, _ = run(sim, 20)
    r = socket_readings(out, "post-1", 4)[-1][1]
    assert r.state is SocketState.FAULT and r.fault == "short_circuit" and not r.relay and r.power_w == 0
    assert sim.snapshot()["sockets"][3]["truth"] == "faulted"
    sim.handle_relay("post-1", relay_cmd(4, True, "reset"))
    res = next(o.message for o in sim.drain()[0] if isinstance(o.message, RelayResult))
    assert not res.ok and not res.relay


def test_stuck_meter_repeats_while_power_flows() -> None:
    sim = make_sim()
    sim.plug("post-1", 1, BatterySpec(), 0.3)
    run(sim, 30)
    inject(sim, at_s=30, type="stuck_meter", device="post-1", socket=1)
    out, _ = run(sim, 120)
    readings = [r for _, r in socket_readings(out, "post-1", 1)]
    assert len({(r.power_w, r.energy_wh, r.current_a) for r in readings}) == 1
    assert sim.socket("post-1", 1).power_w > 100


def test_stuck_and_noisy_socket_temperature_sensor() -> None:
    sim = make_sim()
    sim.plug("post-1", 1, BatterySpec(charger_w=400), 0.1)
    inject(sim, at_s=0, type="stuck_sensor", device="post-1", socket=1)
    inject(sim, at_s=0, type="noisy_sensor", device="post-1", socket=2, params={"factor": 30})
    out, _ = run(sim, 600)
    assert len({r.temp_c for _, r in socket_readings(out, "post-1", 1)}) == 1
    noisy = [r.temp_c for _, r in socket_readings(out, "post-1", 2)]
    assert statistics.pstdev(noisy) > 3


def test_environment_sensor_stuck_noisy_and_faulted() -> None:
    sim = make_sim()
    inject(sim, at_s=0, type="stuck_sensor", device="env-1", duration_s=300)
    out, _ = run(sim, 250)
    env = [o.message for o in out if isinstance(o.message, EnvironmentReading)]
    assert len({(m.temp_c, m.h2_ppm, m.co_ppm) for m in env}) == 1
    assert [m.seq for m in env] == list(range(len(env)))
    run(sim, 100)
    inject(sim, at_s=400, type="noisy_sensor", device="env-1", params={"factor": 30})
    inject(sim, at_s=400, type="sensor_fault", device="env-1", params={"message": "smoke chamber dirty"})
    out, _ = run(sim, 600)
    env = [o.message for o in out if isinstance(o.message, EnvironmentReading)]
    assert statistics.pstdev([m.temp_c for m in env[-30:]]) > 2
    assert env[-1].fault == "smoke chamber dirty"


def test_device_connection_loss_silences_it_then_it_resumes_in_sequence() -> None:
    sim = make_sim()
    inject(sim, at_s=60, type="connection_loss", device="post-2", duration_s=300)
    out, _truth = run(sim, 600)
    post2 = [o.message for o in out if o.message.src == "post-2"]
    silent = [m for m in post2 if T0 + 61_000 <= m.ts < T0 + 360_000]
    assert not silent
    assert [m.seq for m in post2] == list(range(len(post2)))
    assert any(m.ts >= T0 + 360_000 for m in post2)
    assert any(o.message.src == "post-1" and T0 + 100_000 < o.message.ts < T0 + 300_000 for o in out)
    # A relay command to an offline post goes unanswered.
    sim2 = make_sim()
    inject(sim2, at_s=0, type="connection_loss", device="post-1")
    run(sim2, 5)
    sim2.handle_relay("post-1", relay_cmd(1, True, "start"))
    out2, truth2 = sim2.drain()
    assert not [o for o in out2 if o.kind is Kind.RELAY_RESULT]
    assert truth2[-1]["record"] == "relay_ignored"


def test_whole_shed_connection_loss() -> None:
    sim = make_sim()
    inject(sim, at_s=30, type="connection_loss", duration_s=120)
    out, _ = run(sim, 300)
    assert not [o for o in out if T0 + 31_000 <= o.message.ts < T0 + 150_000]
    assert {o.message.src for o in out if o.message.ts >= T0 + 150_000} == {
        "post-1",
        "post-2",
        "ext-1",
        "ext-2",
        "env-1",
    }


def test_extinguisher_leak_removal_and_discharge() -> None:
    sim = make_sim()
    inject(sim, at_s=0, type="extinguisher_leak", device="ext-1", params={"rate_mpa_per_h": 0.5})
    inject(sim, at_s=100, type="extinguisher_removed", device="ext-2", duration_s=600)
    out, _ = run(sim, 1800)
    ext1 = [o.message for o in out if isinstance(o.message, ExtinguisherStatus) and o.message.src == "ext-1"]
    assert ext1[0].pressure_mpa > 1.15 and ext1[-1].pressure_mpa < 1.0
    ext2 = [o.message for o in out if isinstance(o.message, ExtinguisherStatus) and o.message.src == "ext-2"]
    removed = [m for m in ext2 if m.removed]
    assert removed and removed[0].ts == T0 + 100_000, "removal is reported at once"
    assert not ext2[-1].removed, "put back after 600 s"
    inject(sim, at_s=1800, type="extinguisher_discharge", device="ext-2")
    out, _ = run(sim, 60)
    ext2 = [o.message for o in out if isinstance(o.message, ExtinguisherStatus) and o.message.src == "ext-2"]
    assert ext2[0].discharged and ext2[0].ts == T0 + 1_800_000
    assert ext2[-1].pressure_mpa < 0.1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"type": "thermal_runaway", "device": "post-9", "socket": 1},
        {"type": "thermal_runaway", "device": "post-1"},
        {"type": "socket_overtemp", "device": "post-1", "socket": 9},
        {"type": "extinguisher_leak", "device": "post-1"},
        {"type": "stuck_sensor", "device": "nope"},
        {"type": "stuck_sensor", "device": "post-1"},
        {"type": "connection_loss", "device": "nope"},
        {"type": "thermal_runaway", "device": "post-1", "socket": 1, "params": {"bogus": 1}},
    ],
)
def test_faults_in_places_that_do_not_exist_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(SimError):
        FaultSpec(**kwargs).check_place(make_sim())
