"""The message of an edge alarm that was raised without one (pure): what, where, and the value against its limit.

A raised alarm's ``message`` is what a guard reads on the wall banner and in the alert ("FIRE · shed-a env-1 ·
smoke ..."); an empty one left them with the alarm type alone. Conditions whose callers know more (off-gas naming
the gas, a suspect sensor, a device's own fault text) still pass their own message; every other one gets its text
here from the alarm's type, device, socket, value and threshold, so no alarm the edge raises is ever blank.
"""

from protocol.config import Thresholds


def _where(shed: str, device: str | None, socket: int | None) -> str:
    if device is None:
        return f"shed {shed}"
    return f"{device} socket {socket}" if socket is not None else device


def _g(x: float) -> str:
    return f"{x:g}"


def _rate(x: float) -> str:
    return f"{x:.1f}"  # a rate as the guard reads it: 1.4 °C/s, not 1.4142


def describe(
    alarm_type: str,
    shed: str,
    device: str | None,
    socket: int | None,
    value: float | None,
    threshold: float | None,
    t: Thresholds,
) -> str:
    """The message for an alarm raised without one: never empty."""
    where = _where(shed, device, socket)
    if value is not None and threshold is not None:
        v, th = value, threshold
        match alarm_type:
            case "over_power":
                return f"{where} drawing {_g(v)} W (limit {_g(th)} W)"
            case "over_current":
                return f"{where} drawing {_g(v)} A (limit {_g(th)} A)"
            case "socket_overtemp":
                return f"{where} temperature {_g(v)} °C (limit {_g(th)} °C)"
            case "thermal_runaway":
                hold = _g(t.runaway_hold_s)
                return f"{where} temperature rising {_rate(v)} °C/s (limit {_rate(th)} °C/s for {hold} s)"
            case "heat":
                return f"heat at {where}: {_g(v)} °C (limit {_g(th)} °C)"
            case "heat_rate":
                return f"heat at {where} rising {_rate(v)} °C/min (limit {_rate(th)} °C/min)"
            case "smoke" if v < th:  # the detector's own alarm contact, below the obscuration limit
                return f"smoke detector {where} in alarm (obscuration {_g(v)} %/m, limit {_g(th)} %/m)"
            case "smoke":
                return f"smoke at {where}: obscuration {_g(v)} %/m (limit {_g(th)} %/m)"
            case "extinguisher_low_pressure":
                return f"extinguisher {where} pressure {_g(v)} MPa (low limit {_g(th)} MPa)"
            case "extinguisher_over_pressure":
                return f"extinguisher {where} pressure {_g(v)} MPa (high limit {_g(th)} MPa)"
    if alarm_type == "extinguisher_removed":
        return f"extinguisher {where} removed from its bracket"
    # any other type (a new one included): its name, where, and what numbers there are
    text = f"{alarm_type.replace('_', ' ')} at {where}"
    if value is not None:
        text += f": {_g(value)}" + (f" (limit {_g(threshold)})" if threshold is not None else "")
    return text
