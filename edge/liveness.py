"""Silent devices: a device not heard for ``offline_heartbeats`` heartbeats is offline (trouble alarm).

Sockets whose relay is closed must report every ``sample_interval_s``; silent for
``stale_samples`` intervals they are cut and latched (a socket charges only while supervised).
"""

from edge import alarm_text
from edge.alarms import Damping, observe
from edge.context import Ctx
from edge.socket_rules import trip_socket
from edge.state import ShedState, SocketState
from protocol.uplink import AlarmClass, DeviceStatusChanged

# liveness is already a slow signal (3 missed heartbeats): raise and clear it without more delay
_BACK = Damping(delay_on_s=0.0, delay_off_s=0.0, max_raises=1_000_000)


def heard(ctx: Ctx, device: str) -> None:
    """Any valid message from a device: it is alive."""
    dev = ctx.state.devices.get(device)
    if dev is None:
        return
    dev.last_heard_ms = ctx.now
    if not dev.online:
        dev.online = True
        ctx.emit(DeviceStatusChanged(src=ctx.shed, seq=0, ts=ctx.wall, device=device, online=True))
        observe(ctx, AlarmClass.TROUBLE, "device_offline", False, device=device, damping=_BACK)


def next_stale_ms(state: ShedState) -> int | None:
    """The monotonic ms at which the first switched-on socket's telemetry turns stale (None: none can).

    The agent wakes for it rather than at its next periodic tick, so a stale cut is as fast as any other.
    """
    t = state.config.thresholds
    stale_ms = int(t.sample_interval_s * t.stale_samples * 1000)
    due = [s.last_ms for s in state.sockets() if s.relay and s.trip is None and s.last_ms is not None]
    return min(due) + stale_ms + 1 if due else None  # stale is strictly later than the limit


def unseen(ctx: Ctx, sock: SocketState) -> bool:
    """Whether a socket may be energised unseen: its telemetry is stale while its relay last read closed or an
    off to it is unconfirmed (a reset cannot honestly lift its latch: nothing says it is safe, or even open)."""
    t = ctx.t
    stale_ms = t.sample_interval_s * t.stale_samples * 1000
    stale = sock.last_ms is not None and ctx.now - sock.last_ms > stale_ms
    return stale and (sock.relay or sock.pending is not None)


def on_tick(ctx: Ctx) -> None:
    """Find devices gone silent and sockets whose telemetry went stale."""
    t = ctx.t
    limit_ms = t.heartbeat_s * t.offline_heartbeats * 1000
    for dev in ctx.state.devices.values():
        if dev.online and ctx.now - dev.last_heard_ms > limit_ms:
            dev.online = False
            ctx.emit(DeviceStatusChanged(src=ctx.shed, seq=0, ts=ctx.wall, device=dev.id, online=False))
            observe(
                ctx,
                AlarmClass.TROUBLE,
                "device_offline",
                True,
                device=dev.id,
                damping=_BACK,
                message=f"silent for {t.offline_heartbeats} heartbeats",
            )
    stale_ms = t.sample_interval_s * t.stale_samples * 1000
    stale = [
        s
        for s in ctx.state.sockets()
        if s.relay and s.last_ms is not None and s.trip is None and ctx.now - s.last_ms > stale_ms
    ]
    # every relay-off first (a silent post whose sockets were all switched on: one post-level off), then the events
    ctx.cut(stale, "stale_telemetry")
    for sock in stale:
        assert sock.last_ms is not None  # a stale socket has been heard (the filter above)
        silence_s = (ctx.now - sock.last_ms) / 1000
        trip_socket(
            ctx,
            sock,
            "stale_telemetry",
            AlarmClass.TROUBLE,
            value=silence_s,
            threshold=stale_ms / 1000,
            message=alarm_text.stale_telemetry(sock.device, sock.socket, silence_s, stale_ms / 1000, t.stale_samples),
        )
