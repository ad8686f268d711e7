"""Per-socket rules: safety trips, the charging session (full, float, unplugged, longest session), status.

Defaults from protocol.config.Thresholds (sources cited there). Safety trips latch;
session ends (full after float, unplugged, longest session) open the relay without
latching: the resident unplugs and the socket is free again.
"""

from edge import alarm_text, anomalies
from edge.alarms import Damping, alarm_active, observe, raise_latched
from edge.context import Ctx
from edge.plausibility import judge_socket
from edge.relays import confirmed, reading_confirms
from edge.state import PostState, SocketState
from protocol.device import SocketReading
from protocol.device import SocketState as Plug
from protocol.plausible import DS18B20_POWER_ON_C
from protocol.uplink import AlarmClass, SocketStatus

# a meter reset is a note for the operator, not a condition: it clears after a minute of normal counting
_NOTE = Damping(delay_on_s=0.0, delay_off_s=60.0, max_raises=1_000_000)


def trip_socket(
    ctx: Ctx,
    sock: SocketState,
    reason: str,
    alarm_class: AlarmClass,
    *,
    value: float | None = None,
    threshold: float | None = None,
    message: str = "",
) -> None:
    """Cut one socket and latch: the relay stays open until an authorised reset.

    A new cause says off at once even over an earlier off still unconfirmed (a latch for another reason, a
    session end, an operator stop): it never waits for that command's retry, as a whole-post cut does not.
    """
    new = sock.trip is None
    fresh = new or not alarm_active(ctx, reason, device=sock.device, socket=sock.socket)
    if new:
        sock.trip = reason
        ctx.interlock("cut", "socket", reason, device=sock.device, socket=sock.socket, latched=True)
    raise_latched(
        ctx,
        alarm_class,
        reason,
        device=sock.device,
        socket=sock.socket,
        message=message,
        value=value,
        threshold=threshold,
    )
    pending = sock.pending
    said_now = pending is not None and not pending.on and pending.sent_ms == ctx.now  # a whole-post cut just now
    if said_now or not fresh:
        return
    if new or sock.relay:  # a new latch even where the relay looks open; a new cause where it is still closed
        ctx.send_relay(sock, on=False, reason=reason)


def end_session(ctx: Ctx, sock: SocketState, reason: str) -> None:
    """Open the relay to end a session (not a latch: an unplug frees the socket)."""
    if sock.hold_off is None:
        sock.hold_off = reason
        ctx.interlock("cut", "socket", reason, device=sock.device, socket=sock.socket)
    ctx.ensure_off(sock, reason, force=True)


def check_safety(ctx: Ctx, sock: SocketState, r: SocketReading, bad: frozenset[str]) -> None:
    """Over-power, over-current, over-temperature and thermal runaway: trip at once.

    Fields named in ``bad`` (implausible, see edge.plausibility) are not judged: the socket is already
    cut as ``sensor_fault``. Rates are measured on the edge's monotonic receipt time, never on device clocks.
    """
    t = ctx.t
    if "power_w" not in bad and r.power_w > t.over_power_w:
        trip_socket(ctx, sock, "over_power", AlarmClass.OPERATIONAL, value=r.power_w, threshold=t.over_power_w)
    if "current_a" not in bad and r.current_a > t.over_current_a:
        trip_socket(ctx, sock, "over_current", AlarmClass.OPERATIONAL, value=r.current_a, threshold=t.over_current_a)
    if "temp_c" in bad:
        return
    now = ctx.now
    over = r.temp_c >= t.socket_overtemp_c
    # thermal runaway: >= 1 degC/s sustained >= 3 s
    runaway, rate = False, 0.0
    if sock.temp_c is not None and sock.temp_ms is not None and now > sock.temp_ms:
        rate = (r.temp_c - sock.temp_c) / ((now - sock.temp_ms) / 1000)
        if rate >= t.runaway_rate_c_per_s:
            if sock.runaway_since_ms is None:
                sock.runaway_since_ms = sock.temp_ms
            runaway = now - sock.runaway_since_ms >= t.runaway_hold_s * 1000
        else:
            sock.runaway_since_ms = None
    if (over or runaway) and _one_jump(ctx, sock, r.temp_c):
        # cutting is right (fail safe), but one reading is not yet a fire: a suspect sensor until confirmed
        trip_socket(
            ctx,
            sock,
            "sensor_suspect",
            AlarmClass.TROUBLE,
            value=r.temp_c,
            threshold=t.socket_overtemp_c,
            message=_suspect_message(r.temp_c, sock.temp_c),
        )
    elif over or runaway:
        if sock.trip == "sensor_suspect":
            sock.trip = None  # confirmed by a second reading: the latch now names the real cause
        if over:
            trip_socket(
                ctx, sock, "socket_overtemp", AlarmClass.PRE_FIRE, value=r.temp_c, threshold=t.socket_overtemp_c
            )
        if runaway:
            trip_socket(
                ctx,
                sock,
                "thermal_runaway",
                AlarmClass.PRE_FIRE,
                value=round(rate, 3),
                threshold=t.runaway_rate_c_per_s,
            )
    if sock.temp_ms is None or now >= sock.temp_ms:
        sock.temp_c, sock.temp_ms = r.temp_c, now


def _suspect_message(temp_c: float, prev_c: float | None) -> str:
    """Why one reading is a suspect: after which reading (or as the first, the DS18B20 power-on value)."""
    after = f"after {prev_c:g} °C" if prev_c is not None else "as the first reading (the DS18B20 power-on value)"
    return f"one reading of {temp_c:g} °C {after}: cut, awaiting a second reading"


def _one_jump(ctx: Ctx, sock: SocketState, temp_c: float) -> bool:
    """Whether this reading is a single implausible jump: the DS18B20 reset value, or far above a normal reading."""
    if sock.trip == "sensor_suspect":
        return False  # the second alarming reading in a row: confirmed
    prev = sock.temp_c
    if prev is None:
        return temp_c == DS18B20_POWER_ON_C  # the first reading after a brown-out
    return prev < ctx.t.socket_overtemp_c and (temp_c == DS18B20_POWER_ON_C or temp_c - prev >= ctx.t.temp_jump_c)


def _meter(ctx: Ctx, sock: SocketState, energy_wh: float) -> None:
    """Follow the energy counter; a counter that goes down is a meter reset (post reboot): sum the increments."""
    old_wh = sock.energy_wh
    step = energy_wh - old_wh
    reset = sock.energy_seen and step < 0
    if reset:
        step = energy_wh  # counted from 0 since the reset
        sock.meter_resets += 1
    if sock.energy_seen and sock.session_id is not None:
        sock.session_energy_wh += step
    sock.energy_wh = energy_wh
    sock.energy_seen = True
    if not reset and "meter_reset" not in sock.noted:
        return  # the common case: nothing to raise, nothing to clear
    sock.noted.add("meter_reset")
    observe(
        ctx,
        AlarmClass.TROUBLE,
        "meter_reset",
        reset,
        device=sock.device,
        socket=sock.socket,
        damping=_NOTE,
        message=alarm_text.meter_reset(sock.device, sock.socket, old_wh, energy_wh),
        value=energy_wh,
    )


def _start_session(ctx: Ctx, post: PostState, sock: SocketState, r: SocketReading) -> None:
    # an authorised shed's session keeps the cloud's id; else at most 64 characters (SocketStatusChanged
    # .session_id), unique by time whatever the device id's length
    charge = sock.charge
    sock.session_id = charge.session if charge is not None else f"{sock.device[:40]}-{sock.socket}-{ctx.wall}"
    sock.session_start_ms = ctx.now
    sock.session_start_wall = ctx.wall
    anomalies.reset(sock)
    sock.session_energy_wh = 0.0
    sock.charging_seen = False
    sock.low_since_ms = None
    sock.full_since_ms = None
    sock.full_since_wall = None
    if sock.hold_off is None:
        sock.ended_full = False
    sock.not_charging_warned = False
    sock.samples.clear()
    if post.refusing and sock.trip is None and not ctx.state.shed_trips and sock.hold_off is None:
        # above the post's soft limit: a new session would push it towards the hard limit
        sock.hold_off = "post_soft_limit"
        ctx.interlock("refuse", "socket", "post_soft_limit", device=sock.device, socket=sock.socket)
        ctx.ensure_off(sock, "post_soft_limit", force=True)


def close_session(ctx: Ctx, sock: SocketState) -> None:
    """Forget the socket's session (the relay opened or unplugged, or its charging session ended)."""
    sock.session_id = None
    sock.session_start_ms = None
    sock.session_start_wall = None
    sock.samples.clear()
    observe(ctx, AlarmClass.OPERATIONAL, "not_charging", False, device=sock.device, socket=sock.socket)
    anomalies.session_over(ctx, sock)


def _progress(ctx: Ctx, sock: SocketState, power_w: float) -> None:
    """Full -> float -> cut, unplugged -> cut, longest session -> cut, and the 'not charging' warning."""
    t = ctx.t
    now = ctx.now
    start = sock.session_start_ms
    assert start is not None
    grace_end = start + int(t.switch_on_grace_s * 1000)
    window = int(t.unplugged_window_s * 1000)
    sock.samples.append((now, power_w))
    while len(sock.samples) > 1 and sock.samples[1][0] <= now - window:
        sock.samples.popleft()
    if power_w >= t.full_power_w:
        sock.charging_seen = True
        sock.low_since_ms = None
    elif sock.low_since_ms is None:
        sock.low_since_ms = now
    # full needs a charge that tapered off: low power from a battery never seen charging is "not charging"
    if sock.charging_seen and sock.low_since_ms is not None and sock.full_since_ms is None:
        held_from = max(sock.low_since_ms, grace_end)
        if now - held_from >= t.full_hold_s * 1000:
            sock.full_since_ms = now
            sock.full_since_wall = ctx.wall
            sock.ended_full = True
    # low power after the grace period of a session that never charged: "not charging", a warning
    # (inside the grace period low power means nothing yet, and never "full")
    observe(
        ctx,
        AlarmClass.OPERATIONAL,
        "not_charging",
        now >= grace_end and not sock.charging_seen and not sock.ended_full,
        device=sock.device,
        socket=sock.socket,
        message=alarm_text.not_charging(sock.device, sock.socket, power_w, t.full_power_w),
        value=power_w,
        threshold=t.full_power_w,
    )
    # unplugged: the average over the whole window stays below a few watts
    if now - start >= window and sock.samples[0][0] <= now - window + int(t.sample_interval_s * 1000):
        avg = sum(p for _, p in sock.samples) / len(sock.samples)
        if avg < t.unplugged_power_w:
            if not sock.charging_seen:
                sock.ended_full = False  # never charged: nothing drawing, not a full battery
            end_session(ctx, sock, "unplugged")
            return
    anomalies.check(ctx, sock, power_w)
    if sock.full_since_ms is not None and now - sock.full_since_ms >= t.float_s * 1000:
        end_session(ctx, sock, "full")
        return
    if now - start >= min(t.max_session_s, t.forced_end_s) * 1000:
        end_session(ctx, sock, "max_session")


def on_reading(ctx: Ctx, post: PostState, sock: SocketState, r: SocketReading) -> None:
    """Apply one socket reading: plausibility, trips, session tracking, enforcement of cuts.

    An implausible field (edge.plausibility) cuts this socket alone as ``sensor_fault``: it is no longer
    supervised. Its plausible fields are still used, and its siblings are not touched.
    """
    faults = judge_socket(r)
    bad = frozenset(b.field for b in faults)
    sock.seen = True
    sock.last_ms = ctx.now
    sock.post_fault = r.state == Plug.FAULT
    if r.state != Plug.FAULT:
        sock.plugged = r.state == Plug.PLUGGED
    sock.relay = r.relay
    # a broken meter must not push its post over the limit and cut the siblings: count it as drawing nothing
    # (a few watts negative at no load is normal for small meters and means none)
    sock.power_w = max(0.0, r.power_w) if "power_w" not in bad else 0.0
    sock.current_a = max(0.0, r.current_a) if "current_a" not in bad else 0.0
    if "energy_wh" not in bad:
        _meter(ctx, sock, r.energy_wh)
        if sock.charge is not None:
            sock.charge.count(r.energy_wh)
    power = None if "power_w" in bad else r.power_w
    if sock.pending is not None and reading_confirms(sock.pending, r.relay, power, ctx.t.unplugged_power_w):
        confirmed(ctx, sock)
    if faults:
        trip_socket(
            ctx,
            sock,
            "sensor_fault",
            AlarmClass.TROUBLE,
            value=faults[0].value,
            message="; ".join(b.describe() for b in faults),
        )
    check_safety(ctx, sock, r, bad)
    if not sock.plugged:
        sock.ended_full = False
        sock.hold_off = None if sock.hold_off != "operator_stop" else sock.hold_off
    # an authorised shed energises a socket only under a charging session (edge.sessions)
    unauthorised = r.relay and sock.charge is None and ctx.state.config.mode == "authorised"
    latched = sock.trip is not None or bool(ctx.state.shed_trips)
    if unauthorised and not latched:  # a latch is the more important truth: its own off below names it
        _refuse_unauthorised(ctx, sock)
    in_session = sock.session_id is not None
    # a closed relay the edge holds open (a latch, an operator stop, a session's end) starts no session: it is
    # being cut, and its status stays what it was (a stopped socket reported "charging" under a new session id)
    held = latched or sock.hold_off is not None
    if r.relay and sock.plugged and not in_session and not unauthorised and not held:
        _start_session(ctx, post, sock, r)
        in_session = True
    elif in_session and not (r.relay and sock.plugged):
        close_session(ctx, sock)
        in_session = False
    if in_session and sock.trip is None and not ctx.state.shed_trips and sock.hold_off is None:
        _progress(ctx, sock, sock.power_w)
    if r.relay and (sock.trip is not None or ctx.state.shed_trips or sock.hold_off is not None):
        reason = sock.trip or next(iter(sorted(ctx.state.shed_trips)), None) or sock.hold_off or "cut"
        ctx.ensure_off(sock, reason)


def _refuse_unauthorised(ctx: Ctx, sock: SocketState) -> None:
    """A closed relay without a session in an authorised shed (a post that switches on at plug-in): open it.

    Reported once per plug-in (an interlock ``refuse``, ``no_session``); the socket's status stays what it was.
    """
    if sock.plugged and sock.hold_off is None:
        sock.hold_off = "no_session"  # lifted by the unplug, or by a session started here
        ctx.interlock("refuse", "socket", "no_session", device=sock.device, socket=sock.socket)
    ctx.ensure_off(sock, "no_session")


def socket_status(sock: SocketState, *, post_online: bool, shed_tripped: bool, full_power_w: float) -> SocketStatus:
    """What residents and the control room see for one socket."""
    if sock.trip is not None or shed_tripped or sock.post_fault or not post_online:
        return SocketStatus.FAULTED
    if not sock.plugged:
        return SocketStatus.FREE
    if sock.ended_full:
        return SocketStatus.FULL
    if sock.relay and sock.session_id is not None and (sock.charging_seen or sock.power_w >= full_power_w):
        return SocketStatus.CHARGING
    return SocketStatus.PLUGGED
