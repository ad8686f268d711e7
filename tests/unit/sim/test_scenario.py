"""Scenario files: the bundled ones load and do what they say; bad ones are refused with a reason."""

from pathlib import Path
from typing import Any

import pytest

from simulators.scenario import SCENARIO_DIR, ScenarioError, load_scenario, load_shed_config
from simulators.shed import ShedSim
from tests.unit.sim.helpers import T0

BUNDLED = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml") if not p.stem.startswith("shed"))


def run(sims: list[ShedSim], seconds: float) -> list[dict[str, Any]]:
    truth: list[dict[str, Any]] = []
    for sim in sims:
        sim.advance_to(sim.now_ms + int(seconds * 1000))
        truth += sim.drain()[1]
    return truth


def test_the_five_scenarios_ship() -> None:
    assert set(BUNDLED) >= {
        "normal-evening",
        "thermal-runaway-drill",
        "extinguisher-leak",
        "post-offline",
        "bike-left-after-full",
    }


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenarios_load_by_name(name: str) -> None:
    sc = load_scenario(name)
    assert sc.name == name and 1 <= sc.speed <= 600 and sc.duration_s
    assert sc.build(T0)


def test_bike_left_after_full() -> None:
    (sim,) = load_scenario("bike-left-after-full").build(T0)
    run([sim], 3 * 3600)
    by = {(s["device"], s["socket"]): s for s in sim.snapshot()["sockets"]}
    assert by[("post-3", 7)]["truth"] == "full" and by[("post-3", 7)]["plugged"]
    assert by[("post-3", 8)]["truth"] == "free"


def test_extinguisher_leak() -> None:
    (sim,) = load_scenario("extinguisher-leak").build(T0)
    run([sim], 3 * 3600)
    assert sim.extinguishers["ext-2"].pressure_mpa < 1.0 < sim.extinguishers["ext-1"].pressure_mpa


def test_post_offline() -> None:
    (sim,) = load_scenario("post-offline").build(T0)
    sim.advance_to(T0 + 800_000)
    out, _ = sim.drain()
    assert not [o for o in out if o.message.src == "post-2" and T0 + 121_000 <= o.message.ts < T0 + 720_000]
    assert [o for o in out if o.message.src == "post-2" and o.message.ts >= T0 + 720_000]


def test_thermal_runaway_drill() -> None:
    sims = load_scenario("thermal-runaway-drill").build(T0)
    truth = run(sims, 900)
    kinds = [t["record"] for t in truth]
    assert kinds.index("fault") < kinds.index("runaway_heat") < kinds.index("discharge")


def test_normal_evening_fills_the_shed() -> None:
    sc = load_scenario("normal-evening")
    start = sc.start_ms()
    assert start is not None
    (sim,) = sc.build(start)
    truth = run([sim], 2 * 3600)
    assert len([t for t in truth if t["record"] == "plug"]) >= 10


def test_inline_shed_and_explicit_shed_names(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(
        'seed = 1\n[[sheds]]\nshed = "a"\n[[sheds.posts]]\nid = "p"\nsockets = 2\n'
        '[[sheds]]\nshed = "b"\nsensors = ["env"]\n'
        '[[bikes]]\nshed = "a"\ndevice = "p"\nsocket = 2\n'
        '[[faults]]\nshed = "b"\nat_s = 5\ntype = "noisy_sensor"\ndevice = "env"\n'
    )
    sims = load_scenario(f).build(T0)
    assert [s.shed for s in sims] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[[sheds]]\nshed = 'a'\n[[bikes]]\ndevice = 'p'\nsocket = 1\n", "no post 'p'"),
        ("[[sheds]]\nshed = 'a'\ncolour = 'red'\n", "colour"),
        ("seed = 1\n", "sheds"),
        ("[[sheds]]\nshed = 'a'\n[[faults]]\ntype = 'meteor'\n", "faults.0.type"),
        ("[[sheds]]\nshed = 'a'\n[[sheds]]\nshed = 'b'\n[[bikes]]\ndevice = 'p'\nsocket = 1\n", "name one of"),
        ("speed = 1000\n[[sheds]]\nshed = 'a'\n", "speed"),
        ("[[sheds]]\nshed = 'a'\n[[bikes]]\ndevice = 'p'\nsocket = 1\nsoc = 1.5\n", "soc"),
        ("[[sheds]]\npath = 'missing.toml'\n", "missing.toml"),
        ("this is not toml", "scenario"),
    ],
)
def test_bad_scenarios_are_refused_with_a_reason(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match=needle):
        load_scenario(f).build(T0)


def test_start_needs_a_time_zone(tmp_path: Path) -> None:
    f = tmp_path / "tz.toml"
    f.write_text("start = 2026-03-02T17:00:00\n[[sheds]]\nshed = 'a'\n")
    with pytest.raises(ScenarioError, match="time zone"):
        load_scenario(f).start_ms()


def test_unknown_bundled_name_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match="thermal-runaway-drill"):
        load_scenario("no-such-scenario")


def test_shed_toml_ignores_agent_table(tmp_path: Path) -> None:
    f = tmp_path / "shed.toml"
    f.write_text('[agent]\nwhatever = 1\n[shed]\nshed = "x"\n[shed.thresholds]\nover_power_w = 900\n')
    cfg = load_shed_config(f)
    assert cfg.shed == "x" and cfg.thresholds.over_power_w == 900
    f.write_text("[agent]\nx = 1\n")
    with pytest.raises(ScenarioError, match=r"no \[shed\] table"):
        load_shed_config(f)
