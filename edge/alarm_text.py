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


# Conditions whose callers know more than the alarm's fields carry: the socket, and the value against its limit
# (or the old and new reading), so a guard reading the banner knows what happened where without the dashboard.


def stale_telemetry(device: str, socket: int, silence_s: float, limit_s: float, samples: int) -> str:
    """A switched-on socket whose post fell silent: how long against the limit."""
    return (
        f"{device} socket {socket}: no telemetry for {silence_s:.1f} s while switched on "
        f"(limit {_g(limit_s)} s, {samples} sample intervals)"
    )


def relay_unconfirmed(device: str, socket: int, on: bool, reason: str, attempts: int) -> str:
    """A relay command the post never confirmed: which socket, which command and why it was sent."""
    return f"{device} socket {socket}: relay {'on' if on else 'off'} ({reason}) not confirmed after {attempts} attempts"


def not_charging(device: str, socket: int, power_w: float, charging_w: float) -> str:
    """A switched-on session drawing less than charging power."""
    return f"{device} socket {socket} plugged in and switched on but not charging: {_g(power_w)} W < {_g(charging_w)} W"


def meter_reset(device: str, socket: int, old_wh: float, new_wh: float) -> str:
    """An energy counter that went down (post reboot): the old and the new reading."""
    return (
        f"{device} socket {socket} energy counter went back from {_g(old_wh)} Wh to {_g(new_wh)} Wh "
        "(post rebooted?): session energy summed across the reset"
    )
