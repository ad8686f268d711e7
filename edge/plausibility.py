"""Plausible ranges of every device reading, and the sentinels sensors send instead of a value.

The wire accepts any finite number (protocol.device); here each field is judged against the
physical range of the sensor that produced it, so a bad value condemns only what it describes:
one socket or one sensor field, never the rest of the message. Pure functions, no state.

Sources: Maxim DS18B20 datasheet (range -55..+125 degC, power-on reset value +85 degC);
the Arduino DallasTemperature library (DEVICE_DISCONNECTED_C = -127 when no probe answers);
230 V mains (IEC 60038) +-10 % plus margin; small energy meters read a few watts negative at no load.
"""

from dataclasses import dataclass

from protocol.device import EnvironmentReading, ExtinguisherStatus, SocketReading

DS18B20_POWER_ON_C = 85.0  # the scratchpad's reset value, read once after a brown-out
DS18B20_DISCONNECTED_C = -127.0  # what the common driver returns when the probe does not answer


@dataclass(frozen=True, slots=True)
class Range:
    """The values a working sensor can report for one field (inclusive), in the field's unit."""

    low: float
    high: float
    unit: str


# per socket (a post's meter and its DS18B20 contact probe)
SOCKET_RANGES: dict[str, Range] = {
    "voltage_v": Range(0.0, 300.0, "V"),
    "current_a": Range(-1.0, 100.0, "A"),
    "power_w": Range(-50.0, 25_000.0, "W"),
    "energy_wh": Range(0.0, 5e8, "Wh"),  # 1.1 kW for 50 years is under 5e8 Wh
    "temp_c": Range(-55.0, 125.0, "°C"),
}
POST_RANGES: dict[str, Range] = {"total_power_w": Range(-500.0, 250_000.0, "W")}
ENVIRONMENT_RANGES: dict[str, Range] = {
    "temp_c": Range(-55.0, 300.0, "°C"),  # heat detectors read well past 125 degC in a fire
    "smoke_obscuration_pct_m": Range(0.0, 100.0, "%/m"),
    "h2_ppm": Range(0.0, 40_000.0, "ppm"),
    "co_ppm": Range(0.0, 10_000.0, "ppm"),
    "voc_ppm": Range(0.0, 10_000.0, "ppm"),
}
EXTINGUISHER_RANGES: dict[str, Range] = {
    "pressure_mpa": Range(0.0, 10.0, "MPa"),
    "battery_pct": Range(0.0, 100.0, "%"),
}
# values of temperature fields that mean "no reading" whatever the range says
SENTINELS: dict[float, str] = {DS18B20_DISCONNECTED_C: "DS18B20 disconnected"}
_SENTINEL_FIELDS = frozenset({"temp_c"})


@dataclass(frozen=True, slots=True)
class Bad:
    """One field that cannot be believed: its name, the value and why."""

    field: str
    value: float
    why: str

    def describe(self) -> str:
        """Like ``temp_c=-127: DS18B20 disconnected``."""
        return f"{self.field}={self.value:g}: {self.why}"


def judge(values: dict[str, float], ranges: dict[str, Range]) -> list[Bad]:
    """The fields of ``values`` outside their plausible range or equal to a sentinel (empty when all are fine)."""
    bad: list[Bad] = []
    for name, rng in ranges.items():
        value = values[name]
        sentinel = SENTINELS.get(value) if name in _SENTINEL_FIELDS else None
        if sentinel is not None:
            bad.append(Bad(name, value, sentinel))
        elif not rng.low <= value <= rng.high:
            bad.append(Bad(name, value, f"outside {rng.low:g}..{rng.high:g} {rng.unit}"))
    return bad


def judge_socket(r: SocketReading) -> list[Bad]:
    """Implausible fields of one socket reading."""
    return judge({name: getattr(r, name) for name in SOCKET_RANGES}, SOCKET_RANGES)


def judge_environment(r: EnvironmentReading) -> list[Bad]:
    """Implausible fields of one smoke / heat / off-gas reading."""
    return judge({name: getattr(r, name) for name in ENVIRONMENT_RANGES}, ENVIRONMENT_RANGES)


def judge_extinguisher(r: ExtinguisherStatus) -> list[Bad]:
    """Implausible fields of one extinguisher status."""
    return judge({name: getattr(r, name) for name in EXTINGUISHER_RANGES}, EXTINGUISHER_RANGES)
