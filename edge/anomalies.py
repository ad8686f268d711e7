"""Current anomalies while charging: a sudden rise, oscillation, and charging far past the normal time.

A failing charger or battery shows in its current before it heats up. These raise operational alarms
(they cut nothing: the interlocks cut when it turns dangerous, and the longest-session rule still ends
the session); each clears when the anomaly is gone, and at once when the session ends. All timing on
the monotonic clock. Defaults and sources: docs/edge.md.
"""

from collections import deque

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
    observe(
        ctx,
        AlarmClass.OPERATIONAL,
        "current_rise",
        rising,
        device=sock.device,
        socket=sock.socket,
        message=f"current rose to {cur:.2f} A from about {avg or 0:.2f} A: charger or battery failing?",
        value=cur,
        threshold=round((avg or 0) * t.current_rise_factor, 3),
    )
    if charging and not rising:  # a rise does not become the new normal
        sock.current_avg_a = cur if avg is None else avg + _EWMA * (cur - avg)
    # oscillation: the power keeps reversing by large steps
    window_ms = int(t.oscillation_window_s * 1000)
    sock.swings.append((now, power_w))
    while sock.swings and sock.swings[0][0] < now - window_ms:
        sock.swings.popleft()
    reversals = swings(sock.swings, t.oscillation_pct)
    observe(
        ctx,
        AlarmClass.OPERATIONAL,
        "current_oscillation",
        charging and reversals >= t.oscillation_swings,
        device=sock.device,
        socket=sock.socket,
        message=f"power reversed {reversals} times by more than {t.oscillation_pct:g} % within "
        f"{t.oscillation_window_s:g} s",
        value=float(reversals),
        threshold=float(t.oscillation_swings),
    )
    # still drawing charging power far past the normal time for a battery
    start = sock.session_start_ms
    over = charging and start is not None and now - start >= t.charging_overtime_s * 1000
    observe(
        ctx,
        AlarmClass.OPERATIONAL,
        "charging_overtime",
        over,
        device=sock.device,
        socket=sock.socket,
        message=f"still charging after {t.charging_overtime_s / 3600:g} h: battery or charger failing?",
        value=round((now - (start or now)) / 1000, 1),
        threshold=t.charging_overtime_s,
    )


def swings(samples: deque[tuple[int, float]], pct: float) -> int:
    """How often the power changed direction by steps larger than ``pct`` % of its mean (0 when idle)."""
    if len(samples) < 3:
        return 0
    mean = sum(p for _, p in samples) / len(samples)
    if mean <= 0:
        return 0
    step = mean * pct / 100
    reversals, last_dir, prev = 0, 0, samples[0][1]
    for _, power in list(samples)[1:]:
        delta = power - prev
        prev = power
        if abs(delta) < step:
            continue
        direction = 1 if delta > 0 else -1
        if last_dir and direction != last_dir:
            reversals += 1
        last_dir = direction
    return reversals


def session_over(ctx: Ctx, sock: SocketState) -> None:
    """The session ended: its anomalies are over for certain."""
    sock.current_avg_a = None
    sock.swings.clear()
    for alarm_type in _TYPES:
        clear_now(ctx, alarm_type, device=sock.device, socket=sock.socket)
