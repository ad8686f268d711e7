"""Faults injectable at a time and place, each a small change of device state with an optional end.

Every fault is recorded as ground truth (``record: fault``) when it starts and
(``record: fault_end``) when a timed fault ends. See docs/simulators.md for each
fault's parameters, defaults and what the devices then report.
"""

import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulators.battery import BatterySpec
from simulators.shed import ShedSim, SimError
from simulators.socket import SocketTwin

FaultType = Literal[
    "thermal_runaway",
    "socket_overtemp",
    "high_power",
    "charger_failure",
    "short_circuit",
    "stuck_meter",
    "stuck_sensor",
    "noisy_sensor",
    "sensor_fault",
    "connection_loss",
    "extinguisher_leak",
    "extinguisher_removed",
    "extinguisher_discharge",
]

SOCKET_FAULTS = {"thermal_runaway", "socket_overtemp", "high_power", "charger_failure", "short_circuit", "stuck_meter"}
EXTINGUISHER_FAULTS = {"extinguisher_leak", "extinguisher_removed", "extinguisher_discharge"}

# Thermal runaway timeline defaults (seconds from the fault's start). Off-gas leads heat by minutes
# (DNV-GL: 6.4 min of warning); cells then heat at >= 1 degC/s; smoke follows; the element bursts near 68 degC.
RUNAWAY_DEFAULTS: dict[str, float] = {
    "offgas_s": 360.0,  # venting before the heat phase
    "h2_peak_ppm": 400.0,
    "co_peak_ppm": 150.0,
    "voc_peak_ppm": 250.0,
    "vent_warming_c": 15.0,  # slow warming of the pack while it vents
    "heat_rate_c_per_s": 1.5,  # cell temperature rise in the heat phase (>= 1 degC/s)
    "peak_c": 600.0,
    "air_rate_c_per_s": 0.25,  # ceiling air: 15 degC/min, above the 9 degC/min rate-of-rise point
    "plume_rate_c_per_s": 1.0,  # air right over the rack, at the extinguisher's heat element
    "smoke_delay_s": 20.0,  # smoke after the heat phase starts
    "smoke_rate_pct_m_per_s": 0.5,
    "burn_s": 600.0,  # an unsuppressed fire burns this long before dying down
    "abort_if_cut": 0.0,  # 1: opening the relay while venting stops the runaway (as in the DNV tests)
}


class FaultSpec(BaseModel):
    """One fault of a scenario timeline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at_s: Annotated[float, Field(ge=0)] = 0.0
    type: FaultType
    shed: str | None = None
    device: str | None = None  # None with connection_loss: the whole shed
    socket: Annotated[int, Field(ge=1, le=64)] | None = None
    duration_s: Annotated[float, Field(gt=0)] | None = None  # None: until the end of the run
    params: dict[str, float | str] = {}

    def check_place(self, sim: ShedSim) -> None:
        """Raise SimError when the fault names a device or socket the shed does not have."""
        if self.type in SOCKET_FAULTS:
            if self.device is None or self.socket is None:
                raise SimError(f"fault {self.type} needs device and socket")
            sim.socket(self.device, self.socket)
        elif self.type in EXTINGUISHER_FAULTS:
            if self.device not in sim.extinguishers:
                raise SimError(f"fault {self.type}: shed {sim.shed} has no extinguisher {self.device!r}")
        elif self.type == "connection_loss":
            if self.device is not None and self.device not in {*sim.posts, *sim.extinguishers, *sim.sensors}:
                raise SimError(f"fault connection_loss: shed {sim.shed} has no device {self.device!r}")
        else:  # sensor faults: a post socket's temperature sensor, or an environment sensor
            if self.device in sim.posts:
                if self.socket is None:
                    raise SimError(f"fault {self.type} on post {self.device} needs a socket")
                sim.socket(self.device, self.socket)
            elif self.device not in sim.sensors:
                raise SimError(f"fault {self.type}: shed {sim.shed} has no sensor or post {self.device!r}")
        if self.type == "thermal_runaway":
            unknown = set(self.params) - set(RUNAWAY_DEFAULTS)
            if unknown:
                raise SimError(f"thermal_runaway: unknown params {sorted(unknown)}")

    def num(self, key: str, default: float) -> float:
        """A numeric parameter."""
        value = self.params.get(key, default)
        if isinstance(value, str):
            raise SimError(f"fault {self.type}: param {key} must be a number")
        return float(value)

    def record(self) -> dict[str, Any]:
        """Ground-truth fields of this fault."""
        return {
            "fault": self.type,
            "device": self.device,
            "socket": self.socket,
            "duration_s": self.duration_s,
            "params": dict(self.params),
        }

    def start(self, sim: ShedSim) -> None:
        """Inject the fault now (a scheduled action)."""
        sim.add_fault(_build(self, sim), self.record())


@dataclass
class Timed:
    """A fault that is switched on at once and (optionally) off after a duration."""

    name: str
    spec: FaultSpec
    undo: Any = None  # callable run when the duration ends
    elapsed_s: float = 0.0

    def step(self, sim: ShedSim, dt_s: float) -> bool:
        """Count down; undo and finish when the duration ends."""
        self.elapsed_s += dt_s
        if self.spec.duration_s is not None and self.elapsed_s >= self.spec.duration_s:
            if self.undo is not None:
                self.undo()
            sim.truth.append(
                {
                    "record": "fault_end",
                    "ts": sim.now_ms,
                    "shed": sim.shed,
                    "fault": self.name,
                    "device": self.spec.device,
                    "socket": self.spec.socket,
                }
            )
            sim.report_now()
            return True
        return False


@dataclass
class ThermalRunaway:
    """Off-gas, then heat rising >= 1 degC/s, then smoke, then the extinguisher over the rack discharges."""

    spec: FaultSpec
    socket: SocketTwin
    extinguishers: list[str]
    p: dict[str, float] = field(default_factory=dict)
    name: str = "thermal_runaway"
    t_s: float = 0.0
    base_c: float | None = None
    suppressed_at: float | None = None
    aborted: bool = False
    phase: str = "offgas"

    def step(self, sim: ShedSim, dt_s: float) -> bool:
        """Advance the runaway and write its effects into the socket and the shed air."""
        p = self.p
        self.t_s += dt_s
        t = self.t_s
        sock = self.socket
        if self.base_c is None:
            self.base_c = sock.temp_c
        vent = p["offgas_s"]
        if bool(p["abort_if_cut"]) and t < vent and not sock.relay and not self.aborted:
            self.aborted = True
            self.suppressed_at = t
            sim.truth.append(self._event(sim, "runaway_aborted"))
        heat_t = max(0.0, t - vent)
        if self.suppressed_at is None:
            if heat_t > 0 and self.phase == "offgas":
                self.phase = "heat"
                sock.damaged = True
                sim.truth.append(self._event(sim, "runaway_heat"))
            if any(sim.extinguishers[e].discharged for e in self.extinguishers if e in sim.extinguishers):
                self.suppressed_at = t
                sim.truth.append(self._event(sim, "runaway_suppressed"))
            elif heat_t > p["burn_s"]:
                self.suppressed_at = t
            vent_frac = min(1.0, t / vent)
            gas_growth = vent_frac + heat_t / vent  # gases keep rising once the pack burns
            sim.air.gas_extra_ppm = (
                p["h2_peak_ppm"] * gas_growth,
                p["co_peak_ppm"] * gas_growth,
                p["voc_peak_ppm"] * gas_growth,
            )
            sock.forced_temp_c = min(
                p["peak_c"], self.base_c + p["vent_warming_c"] * vent_frac + p["heat_rate_c_per_s"] * heat_t
            )
            sim.air.heat_extra_c = p["air_rate_c_per_s"] * heat_t
            for e in self.extinguishers:
                sim.plume_c[e] = p["plume_rate_c_per_s"] * heat_t
            sim.air.smoke_pct_m = min(100.0, max(0.0, heat_t - p["smoke_delay_s"]) * p["smoke_rate_pct_m_per_s"])
            return False
        # Suppressed, aborted or burnt out: everything decays back towards normal.
        since = t - self.suppressed_at
        fast, slow = math.exp(-dt_s / 60.0), math.exp(-dt_s / 600.0)
        h2, co, voc = sim.air.gas_extra_ppm
        sim.air.gas_extra_ppm = (h2 * slow, co * slow, voc * slow)
        sim.air.heat_extra_c *= fast
        sim.air.smoke_pct_m *= slow
        for e in self.extinguishers:
            sim.plume_c[e] = sim.plume_c.get(e, 0.0) * fast
        if sock.forced_temp_c is not None:
            sock.forced_temp_c = sock.temp_c + (sock.forced_temp_c - sock.temp_c) * fast
        if since > 3600 or (sim.air.smoke_pct_m < 0.05 and max(sim.air.gas_extra_ppm) < 1.0 and since > 300):
            sock.forced_temp_c = None
            sim.air.gas_extra_ppm = (0.0, 0.0, 0.0)
            sim.air.heat_extra_c = 0.0
            sim.air.smoke_pct_m = 0.0
            for e in self.extinguishers:
                sim.plume_c.pop(e, None)
            sim.truth.append(self._event(sim, "fault_end"))
            return True
        return False

    def _event(self, sim: ShedSim, record: str) -> dict[str, Any]:
        return {
            "record": record,
            "ts": sim.now_ms,
            "shed": sim.shed,
            "fault": self.name,
            "device": self.spec.device,
            "socket": self.spec.socket,
        }


def _build(spec: FaultSpec, sim: ShedSim) -> Any:
    """The running fault object for a spec, after applying its immediate effects."""
    kind = spec.type
    if kind in SOCKET_FAULTS:
        assert spec.device is not None and spec.socket is not None
        sock = sim.socket(spec.device, spec.socket)
        if kind == "thermal_runaway":
            params = {k: spec.num(k, v) for k, v in RUNAWAY_DEFAULTS.items()}
            return ThermalRunaway(spec, sock, sim.extinguishers_over(spec.device), params)
        if kind == "socket_overtemp":
            sock.extra_heat_c = spec.num("rise_c", 60.0)
            return Timed(kind, spec, lambda: setattr(sock, "extra_heat_c", 0.0))
        if kind == "high_power":
            load = spec.num("load_w", 1500.0)
            if sock.bike is None:
                sim.plug(spec.device, spec.socket, BatterySpec(charger_w=min(3000.0, load)), 0.2)
            else:
                sock.extra_load_w = max(0.0, load - sock.bike.ac_power())
            return Timed(kind, spec, lambda: setattr(sock, "extra_load_w", 0.0))
        if kind == "charger_failure":
            sock.oscillate_w = spec.num("amplitude_w", 150.0)
            sock.oscillate_period_s = spec.num("period_s", 20.0)
            return Timed(kind, spec, lambda: setattr(sock, "oscillate_w", 0.0))
        if kind == "short_circuit":
            # The post's own protection trips: relay open, socket reports a fault until repaired.
            sock.relay = False
            sock.power_w = 0.0
            sock.post_fault = "short_circuit"
            return Timed(kind, spec, lambda: setattr(sock, "post_fault", None))
        # stuck_meter: the meter repeats its last reading (energy stops counting) while power still flows.
        sock.meter_stuck = sock.reading(sim.rng)
        return Timed(kind, spec, lambda: setattr(sock, "meter_stuck", None))
    if kind in EXTINGUISHER_FAULTS:
        ext = sim.extinguishers[spec.device or ""]
        if kind == "extinguisher_leak":
            ext.leak_mpa_per_h = spec.num("rate_mpa_per_h", 0.05)
            return Timed(kind, spec, lambda: setattr(ext, "leak_mpa_per_h", 0.0))
        if kind == "extinguisher_removed":
            ext.removed = True
            return Timed(kind, spec, lambda: setattr(ext, "removed", False))
        ext.discharge()
        return Timed(kind, spec)
    if kind == "connection_loss":
        devices = [spec.device] if spec.device else [*sim.posts, *sim.extinguishers, *sim.sensors]
        twins = [sim.posts.get(d) or sim.extinguishers.get(d) or sim.sensors[d] for d in devices]
        for twin in twins:
            twin.online = False

        def reconnect() -> None:
            for twin in twins:
                twin.online = True

        return Timed(kind, spec, reconnect)
    return _sensor_fault(spec, sim)


def _sensor_fault(spec: FaultSpec, sim: ShedSim) -> Timed:
    kind = spec.type
    factor = spec.num("factor", 30.0)
    if spec.device in sim.posts:
        sock = sim.socket(spec.device, spec.socket or 1)
        if kind == "stuck_sensor":
            sock.temp_stuck_c = round(sock.temp_c, 2)
            return Timed(kind, spec, lambda: setattr(sock, "temp_stuck_c", None))
        if kind == "noisy_sensor":
            normal = sock.temp_noise_c
            sock.temp_noise_c = normal * factor
            return Timed(kind, spec, lambda: setattr(sock, "temp_noise_c", normal))
        sock.post_fault = str(spec.params.get("message", "temperature sensor fault"))
        return Timed(kind, spec, lambda: setattr(sock, "post_fault", None))
    env = sim.sensors[spec.device or ""]
    if kind == "stuck_sensor":
        env.stuck = env.reading(sim.now_ms, sim.air, sim.rng)
        env.seq -= 1  # the sample taken to freeze was not published
        return Timed(kind, spec, lambda: setattr(env, "stuck", None))
    if kind == "noisy_sensor":
        env.noise = factor
        return Timed(kind, spec, lambda: setattr(env, "noise", 1.0))
    env.fault = str(spec.params.get("message", "sensor self-test failed"))
    return Timed(kind, spec, lambda: setattr(env, "fault", None))
