"""One alarm as a line of an alert: its class, where (device and socket), what, and the reading that raised it.

The edge's alarm events carry the triggering ``value`` and ``threshold`` (docs/protocol.md, AlarmRaised) but
for some conditions an empty ``message``; a guard reading "pre_fire: a-post-1 thermal_runaway" does not know
which socket to pull nor how bad it is. So every line names the socket and the reading with its unit, and the
edge's message when it sent one.
"""

from cloud.core.alarms.model import Alarm

# Units of the edge's readings per alarm type (docs/protocol.md: alarm_type and the readings' units).
UNITS: dict[str, str] = {
    "socket_overtemp": "°C",
    "thermal_runaway": "°C/s",
    "heat_rate": "°C/min",
    "heat": "°C",
    "smoke": "%/m",
    "off_gas": "ppm",
    "over_power": "W",
    "post_over_limit_long": "W",  # the cloud's rule: the post's total power against its limit
    "over_current": "A",
    "extinguisher_low_pressure": "MPa",
    "extinguisher_over_pressure": "MPa",
}


def _reading(alarm: Alarm) -> str:
    if alarm.value is None:
        return ""
    unit = UNITS.get(alarm.key.alarm_type, "")
    sep = " " if unit else ""
    text = f"{alarm.value:g}{sep}{unit}"
    if alarm.threshold is not None:
        text += f" (threshold {alarm.threshold:g}{sep}{unit})"
    return text


def describe(alarm: Alarm) -> str:
    """``CLASS: DEVICE socket N TYPE READING: MESSAGE``, each part only when known."""
    where = alarm.key.device or "shed"
    if alarm.key.socket:
        where += f" socket {alarm.key.socket}"
    parts = [f"{alarm.alarm_class.value}: {where} {alarm.key.alarm_type}", _reading(alarm)]
    line = " ".join(p for p in parts if p)
    return f"{line}: {alarm.message}" if alarm.message else line
