"""Current anomalies while charging: a sudden rise, oscillation, and charging far past the normal time.

A failing charger or battery shows in its current before it heats up. These raise operational alarms
(they cut nothing: the interlocks cut when it turns dangerous, and the longest-session rule still ends
the session); each clears when the anomaly is gone, and at once when the session ends. All timing on
the monotonic clock. Defaults and sources: docs/edge.md.
"""

from edge.alarms import clear_now, observe
from edge.context import Ctx
from edge.state import SocketState
from protocol.uplink import AlarmClass

_EWMA = 0.2  # smoothing of the charging current: roughly the last five readings
_TYPES = ("current_rise", "current_oscillation", "charging_overtime")


def check(ctx: Ctx, sock: SocketState, power_w: float) -> None:
    """Judge one reading of a session in progress (power already checked for plausibility)."""
    t = ctx.t
    now = ctx.now
    cur = sock.current_a
    avg = sock.current_avg_a
    charging = power_w >= t.full_power_w
    # a sudden rise: well above this session's smoothed current, once charging was established
    rising = (
        charging
        and avg is not None
        and avg > 0
        and cur >= avg * t.current_rise_factor
        and cur - avg >= t.current_rise_min_a
    )
    if rising and avg is not None:
        _observe(
            ctx,
            sock,
            "current_rise",
            f"current rose to {cur:.2f} A from about {avg:.2f} A: charger or battery failing?",
            cur,
            round(avg * t.current_rise_factor, 3),
        )
    else:
        _observe(ctx, sock, "current_rise")
    if charging and not rising:  # a rise does not become the new normal
        sock.current_avg_a = cur if avg is None else avg + _EWMA * (cur - avg)
    # oscillation: the power keeps reversing by large steps (O(1) per reading: a fault samples every second)
    reversals = _swing(ctx, sock, power_w)
    if charging and reversals >= t.oscillation_swings:
        _observe(
            ctx,
            sock,
            "current_oscillation",
            f"power reversed {reversals} times by more than {t.oscillation_pct:g} % within "
            f"{t.oscillation_window_s:g} s",
            float(reversals),
            float(t.oscillation_swings),
        )
    else:
        _observe(ctx, sock, "current_oscillation")
    # still drawing charging power far past the normal time for a battery
    start = sock.session_start_ms
    if charging and start is not None and now - start >= t.charging_overtime_s * 1000:
        _observe(
            ctx,
            sock,
            "charging_overtime",
            f"still charging after {t.charging_overtime_s / 3600:g} h: battery or charger failing?",
            round((now - start) / 1000, 1),
            t.charging_overtime_s,
        )
    else:
        _observe(ctx, sock, "charging_overtime")


def _observe(
    ctx: Ctx, sock: SocketState, alarm_type: str, message: str | None = None, value: float = 0.0, threshold: float = 0.0
) -> None:
    """The condition holds when a message is given (built only then: this runs for every reading)."""
    if message is None:
        if alarm_type in sock.noted:  # never raised here: nothing to clear
            observe(ctx, AlarmClass.OPERATIONAL, alarm_type, False, device=sock.device, socket=sock.socket)
        return
    sock.noted.add(alarm_type)
    observe(
        ctx,
        AlarmClass.OPERATIONAL,
        alarm_type,
        True,
        device=sock.device,
        socket=sock.socket,
        message=message,
        value=value,
        threshold=threshold,
    )


def _swing(ctx: Ctx, sock: SocketState, power_w: float) -> int:
    """Count direction reversals of power steps larger than ``oscillation_pct`` % of the smoothed power."""
    t = ctx.t
    now = ctx.now
    avg, prev = sock.power_avg_w, sock.prev_power_w
    if prev is not None and avg is not None and avg > 0:
        delta = power_w - prev
        if abs(delta) >= avg * t.oscillation_pct / 100:
            direction = 1 if delta > 0 else -1
            if sock.swing_dir and direction != sock.swing_dir:
                sock.reversals.append(now)
            sock.swing_dir = direction
    sock.prev_power_w = power_w
    sock.power_avg_w = power_w if avg is None else avg + _EWMA * (power_w - avg)
    window_ms = t.oscillation_window_s * 1000
    while sock.reversals and sock.reversals[0] < now - window_ms:
        sock.reversals.popleft()
    return len(sock.reversals)


def reset(sock: SocketState) -> None:
    """Forget the anomaly state (a new session starts, or one ended)."""
    sock.current_avg_a = sock.power_avg_w = sock.prev_power_w = None
    sock.swing_dir = 0
    sock.reversals.clear()


def session_over(ctx: Ctx, sock: SocketState) -> None:
    """The session ended: its anomalies are over for certain."""
    reset(sock)
    for alarm_type in _TYPES:
        clear_now(ctx, alarm_type, device=sock.device, socket=sock.socket)
