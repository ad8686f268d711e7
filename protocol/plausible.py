"""The plausible range of every device reading, and the sentinels sensors send instead of a value.

Part of the contract's documentation (docs/protocol.md lists them): the wire accepts any finite
number within +-1e9 (protocol.device), and the edge judges each field against these ranges
(edge.plausibility), so a bad value condemns only what it describes.

Sources: Maxim DS18B20 datasheet (range -55..+125 degC, power-on reset value +85 degC);
the Arduino DallasTemperature library (DEVICE_DISCONNECTED_C = -127 when no probe answers);
230 V mains (IEC 60038) +-10 % plus margin; small energy meters read a few watts negative at no load.
"""

from dataclasses import dataclass

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
SENTINEL_FIELDS = frozenset({"temp_c"})
