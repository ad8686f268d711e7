"""Scenarios as data: sheds, bikes on sockets at given times, residents, faults, seed, speed and duration.

A scenario is a TOML file (see docs/simulators.md)::

    name = "thermal-runaway drill"
    seed = 7
    speed = 60                      # x real time (1..600); --clock overrides it
    duration_s = 1800               # omit to run until Ctrl-C / SIGTERM
    start = 2026-03-02T18:00:00+08:00   # optional simulated start (else now)
    residents = false

    [[sheds]]                       # a shed inline (protocol.config.ShedConfig) ...
    shed = "shed-a"
    [[sheds.posts]]
    id = "post-1"
    [[sheds]]                       # ... or a shed TOML file (its [shed] table), relative to this file
    path = "shed-b.toml"

    [[bikes]]
    at_s = 0
    device = "post-1"
    socket = 3
    soc = 0.4

    [[faults]]
    at_s = 300
    type = "thermal_runaway"
    device = "post-1"
    socket = 3
"""

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocol.config import ShedConfig
from protocol.shedfile import ShedFileError, parse_shed_document
from simulators.battery import BatterySpec, Chemistry
from simulators.faults import FaultSpec
from simulators.residents import Plan
from simulators.shed import ShedSim, SimError

SCENARIO_DIR = Path(__file__).parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BikeEvent(_Strict):
    """A bike plugged into a given socket at a given time."""

    at_s: Annotated[float, Field(ge=0)] = 0.0
    shed: str | None = None  # may be left out when the scenario has one shed
    device: str
    socket: Annotated[int, Field(ge=1, le=64)]
    chemistry: Chemistry = Chemistry.LITHIUM
    voltage: int = 48
    capacity_ah: Annotated[float, Field(ge=1, le=100)] = 20.0
    soc: Annotated[float, Field(ge=0, le=1)] = 0.3
    charger_w: Annotated[float, Field(ge=10, le=3000)] = 200.0
    leave_at_s: Annotated[float, Field(ge=0)] | None = None  # unplugged at this scenario time
    leave_after_full_s: Annotated[float, Field(ge=0)] | None = None  # unplugged this long after full

    def spec(self) -> BatterySpec:
        """The battery and charger this bike brings."""
        return BatterySpec(self.chemistry, self.voltage, self.capacity_ah, self.charger_w)


class Scenario(_Strict):
    """A whole scenario, validated."""

    name: str = "scenario"
    description: str = ""
    seed: int = 0
    speed: Annotated[float, Field(gt=0, le=600)] = 1.0
    duration_s: Annotated[float, Field(gt=0)] | None = None
    start: datetime | int | None = None  # simulated start: a TOML datetime or epoch ms
    utc_offset_h: float = 8.0
    residents: bool = False
    resident_scale: Annotated[float, Field(ge=0)] = 1.0
    sheds: Annotated[list[ShedConfig], Field(min_length=1)]
    bikes: list[BikeEvent] = []
    faults: list[FaultSpec] = []

    @model_validator(mode="after")
    def _places_exist(self) -> "Scenario":
        sheds = {s.shed: s for s in self.sheds}
        if len(sheds) != len(self.sheds):
            raise ValueError("shed ids must be unique")
        items: list[BikeEvent | FaultSpec] = [*self.bikes, *self.faults]
        for item in items:
            shed = item.shed or (self.sheds[0].shed if len(self.sheds) == 1 else None)
            if shed is None or shed not in sheds:
                raise ValueError(f"{type(item).__name__} at {item.at_s}s: name one of the sheds {sorted(sheds)}")
        return self

    def start_ms(self) -> int | None:
        """Simulated start time in epoch ms, if the scenario fixes one."""
        if self.start is None:
            return None
        if isinstance(self.start, datetime):
            if self.start.tzinfo is None:
                raise ScenarioError("start: give a time zone offset (e.g. 2026-03-02T18:00:00+08:00)")
            return int(self.start.timestamp() * 1000)
        return self.start

    def shed_of(self, shed: str | None) -> str:
        """The shed an event refers to (the only shed when it names none)."""
        return shed or self.sheds[0].shed

    def build(self, start_ms: int, *, residents: bool | None = None, hold_faults: bool = False) -> list[ShedSim]:
        """ShedSims with every bike and fault of the timeline scheduled (the faults not, with ``hold_faults``:
        ``schedule_faults`` starts them later, e.g. on request)."""
        with_residents = self.residents if residents is None else residents
        sims = {
            cfg.shed: ShedSim(
                cfg,
                start_ms=start_ms,
                seed=self.seed,
                residents=with_residents,
                utc_offset_h=self.utc_offset_h,
                resident_scale=self.resident_scale,
            )
            for cfg in self.sheds
        }
        try:
            for bike in self.bikes:
                sim = sims[self.shed_of(bike.shed)]
                sim.socket(bike.device, bike.socket)  # fail now, not mid-run, on a wrong place
                sim.schedule(start_ms + int(bike.at_s * 1000), _plug_action(bike, start_ms))
            for fault in self.faults:
                fault.check_place(sims[self.shed_of(fault.shed)])  # a wrong place fails now, even when held
        except SimError as exc:
            raise ScenarioError(f"scenario {self.name!r}: {exc}") from None
        if not hold_faults:
            self.schedule_faults(list(sims.values()), start_ms)
        return list(sims.values())

    def schedule_faults(self, sims: list[ShedSim], from_ms: int) -> None:
        """Schedule every fault of the timeline on its shed, ``at_s`` counted from ``from_ms``."""
        by_shed = {sim.shed: sim for sim in sims}
        for fault in self.faults:
            by_shed[self.shed_of(fault.shed)].schedule(from_ms + int(fault.at_s * 1000), fault.start)


def _plug_action(bike: BikeEvent, start_ms: int) -> Any:
    def plug(sim: ShedSim) -> None:
        plan = Plan(
            leave_at_ms=start_ms + int(bike.leave_at_s * 1000) if bike.leave_at_s is not None else None,
            after_full_s=bike.leave_after_full_s,
        )
        sim.plug(bike.device, bike.socket, bike.spec(), bike.soc, plan)

    return plug


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{what} {path}: {exc}") from None


def load_shed_config(path: str | Path) -> ShedConfig:
    """The [shed] table of a shed TOML file (the [agent] table is the edge's and ignored here)."""
    p = Path(path)
    try:
        return parse_shed_document(_read_toml(p, "shed config"), where=f"shed config {p}").shed
    except ShedFileError as exc:
        raise ScenarioError(str(exc)) from None


def resolve_scenario_path(name: str | Path) -> Path:
    """A scenario file path, or the name of a bundled scenario (e.g. 'thermal-runaway-drill')."""
    p = Path(name)
    if p.exists():
        return p
    bundled = SCENARIO_DIR / f"{name}.toml"
    if bundled.exists():
        return bundled
    known = ", ".join(sorted(f.stem for f in SCENARIO_DIR.glob("*.toml") if not f.stem.startswith("shed")))
    raise ScenarioError(f"no scenario file {name!r} (bundled: {known})")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file, loading sheds given by path."""
    p = resolve_scenario_path(path)
    data = _read_toml(p, "scenario")
    sheds: list[Any] = []
    for entry in data.get("sheds", []):
        if isinstance(entry, dict) and set(entry) == {"path"}:
            sheds.append(load_shed_config(p.parent / str(entry["path"])))
        else:
            sheds.append(entry)
    data["sheds"] = sheds
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"scenario {p}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    e = exc.errors(include_url=False)[0]
    loc = ".".join(str(x) for x in e["loc"]) or "<root>"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{loc}: {e['msg']}{more}"
