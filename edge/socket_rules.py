"""Per-socket rules: safety trips, the charging session (full, float, unplugged, longest session), status.

Defaults from protocol.config.Thresholds (sources cited there). Safety trips latch;
session ends (full after float, unplugged, longest session) open the relay without
latching: the resident unplugs and the socket is free again.
"""

from edge.alarms import observe, raise_latched
from edge.context import Ctx
from edge.relays import confirmed
from edge.state import PostState, SocketState
from protocol.device import SocketReading
from protocol.device import SocketState as Plug
from protocol.uplink import AlarmClass, SocketStatus


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
    """Cut one socket and latch: the relay stays open until an authorised reset."""
    new = sock.trip is None
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
    if new:
        ctx.ensure_off(sock, reason, force=True)


def end_session(ctx: Ctx, sock: SocketState, reason: str) -> None:
    """Open the relay to end a session (not a latch: an unplug frees the socket)."""
    if sock.hold_off is None:
        sock.hold_off = reason
        ctx.interlock("cut", "socket", reason, device=sock.device, socket=sock.socket)
    ctx.ensure_off(sock, reason, force=True)


def check_safety(ctx: Ctx, sock: SocketState, r: SocketReading, source_ms: int) -> None:
    """Over-power, over-current, over-temperature and thermal runaway: trip at once."""
    t = ctx.t
    if r.power_w > t.over_power_w:
        trip_socket(ctx, sock, "over_power", AlarmClass.OPERATIONAL, value=r.power_w, threshold=t.over_power_w)
    if r.current_a > t.over_current_a:
        trip_socket(ctx, sock, "over_current", AlarmClass.OPERATIONAL, value=r.current_a, threshold=t.over_current_a)
    if r.temp_c >= t.socket_overtemp_c:
        trip_socket(ctx, sock, "socket_overtemp", AlarmClass.PRE_FIRE, value=r.temp_c, threshold=t.socket_overtemp_c)
    # thermal runaway: >= 1 degC/s sustained >= 3 s, from the post's own timestamps
    if sock.temp_c is not None and sock.temp_ms is not None and source_ms > sock.temp_ms:
        rate = (r.temp_c - sock.temp_c) / ((source_ms - sock.temp_ms) / 1000)
        if rate >= t.runaway_rate_c_per_s:
            if sock.runaway_since_ms is None:
                sock.runaway_since_ms = sock.temp_ms
            if source_ms - sock.runaway_since_ms >= t.runaway_hold_s * 1000:
                trip_socket(
                    ctx,
                    sock,
                    "thermal_runaway",
                    AlarmClass.PRE_FIRE,
                    value=round(rate, 3),
                    threshold=t.runaway_rate_c_per_s,
                )
        else:
            sock.runaway_since_ms = None
    if source_ms >= (sock.temp_ms or 0):
        sock.temp_c, sock.temp_ms = r.temp_c, source_ms


def _start_session(ctx: Ctx, post: PostState, sock: SocketState, r: SocketReading) -> None:
    sock.session_id = f"{sock.device}-{sock.socket}-{ctx.now}"
    sock.session_start_ms = ctx.now
    sock.session_energy0_wh = r.energy_wh
    sock.charging_seen = False
    sock.low_since_ms = None
    sock.full_since_ms = None
    if sock.hold_off is None:
        sock.ended_full = False
    sock.not_charging_warned = False
    sock.samples.clear()
    if post.refusing and sock.trip is None and not ctx.state.shed_trips and sock.hold_off is None:
        # above the post's soft limit: a new session would push it towards the hard limit
        sock.hold_off = "post_soft_limit"
        ctx.interlock("refuse", "socket", "post_soft_limit", device=sock.device, socket=sock.socket)
        ctx.ensure_off(sock, "post_soft_limit", force=True)


def _end_session(ctx: Ctx, sock: SocketState) -> None:
    sock.session_id = None
    sock.session_start_ms = None
    sock.samples.clear()
    observe(ctx, AlarmClass.OPERATIONAL, "not_charging", False, device=sock.device, socket=sock.socket)


def _progress(ctx: Ctx, sock: SocketState, r: SocketReading) -> None:
    """Full -> float -> cut, unplugged -> cut, longest session -> cut, and the 'not charging' warning."""
    t = ctx.t
    now = ctx.now
    start = sock.session_start_ms
    assert start is not None
    grace_end = start + int(t.switch_on_grace_s * 1000)
    window = int(t.unplugged_window_s * 1000)
    sock.samples.append((now, r.power_w))
    while len(sock.samples) > 1 and sock.samples[1][0] <= now - window:
        sock.samples.popleft()
    if r.power_w >= t.full_power_w:
        sock.charging_seen = True
        sock.low_since_ms = None
    elif sock.low_since_ms is None:
        sock.low_since_ms = now
    if sock.low_since_ms is not None and sock.full_since_ms is None:
        held_from = max(sock.low_since_ms, grace_end)
        if now - held_from >= t.full_hold_s * 1000:
            sock.full_since_ms = now
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
        message="plugged in and switched on but drawing no charging power",
        value=r.power_w,
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
    if sock.full_since_ms is not None and now - sock.full_since_ms >= t.float_s * 1000:
        end_session(ctx, sock, "full")
        return
    if now - start >= min(t.max_session_s, t.forced_end_s) * 1000:
        end_session(ctx, sock, "max_session")


def on_reading(ctx: Ctx, post: PostState, sock: SocketState, r: SocketReading, source_ms: int) -> None:
    """Apply one socket reading: trips, session tracking, enforcement of cuts."""
    sock.seen = True
    sock.last_ms = ctx.now
    sock.post_fault = r.state == Plug.FAULT
    if r.state != Plug.FAULT:
        sock.plugged = r.state == Plug.PLUGGED
    sock.relay = r.relay
    sock.power_w = r.power_w
    sock.current_a = r.current_a
    sock.energy_wh = r.energy_wh
    if sock.pending is not None and r.relay == sock.pending.on:
        confirmed(ctx, sock)
    check_safety(ctx, sock, r, source_ms)
    if not sock.plugged:
        sock.ended_full = False
        sock.hold_off = None if sock.hold_off != "operator_stop" else sock.hold_off
    in_session = sock.session_id is not None
    if r.relay and sock.plugged and not in_session:
        _start_session(ctx, post, sock, r)
        in_session = True
    elif in_session and not (r.relay and sock.plugged):
        _end_session(ctx, sock)
        in_session = False
    if in_session and sock.trip is None and not ctx.state.shed_trips and sock.hold_off is None:
        _progress(ctx, sock, r)
    if r.relay and (sock.trip is not None or ctx.state.shed_trips or sock.hold_off is not None):
        reason = sock.trip or next(iter(sorted(ctx.state.shed_trips)), None) or sock.hold_off or "cut"
        ctx.ensure_off(sock, reason)


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
