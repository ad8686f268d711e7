"""Devices the config does not (or no longer) list: a device that is gone stays off.

A post dropped by a config push, or any unconfigured post reporting a closed relay, is
not supervised: it is commanded off, with retries, until its telemetry or a RelayResult
confirms every relay open, and an ``unconfigured_device`` trouble alarm names it meanwhile.
Such posts live in ``ShedState.retired`` until then; nothing else is judged about them.
"""

from edge import relays
from edge.alarms import clear_now, observe
from edge.context import Ctx
from edge.relays import confirmed
from edge.state import PostState, SocketState
from protocol.device import PostTelemetry
from protocol.uplink import AlarmClass


def retire(ctx: Ctx, post: PostState) -> None:
    """Keep commanding a dropped post's sockets off until confirmed (called when a config drops it)."""
    if any(s.relay or s.pending is not None for s in post.sockets.values()):
        ctx.state.retired[post.id] = post
        _alarm(ctx, post.id, True)


def on_unconfigured(ctx: Ctx, event: PostTelemetry) -> None:
    """Telemetry from a post not in the config: any closed relay is commanded off."""
    post = ctx.state.retired.get(event.src)
    if post is None:
        if not any(r.relay for r in event.sockets):
            return  # off and not ours: nothing to protect (the adapter counts it)
        post = PostState(event.src, {})
        ctx.state.retired[event.src] = post
    for r in event.sockets:
        sock = post.sockets.setdefault(r.socket, SocketState(event.src, r.socket))
        sock.relay = r.relay
        sock.last_ms = ctx.now
        if sock.pending is not None and r.relay == sock.pending.on:
            confirmed(ctx, sock)
        if r.relay:
            if sock.pending is None:
                ctx.interlock("cut", "socket", "unconfigured", device=sock.device, socket=sock.socket)
            ctx.ensure_off(sock, "unconfigured")
    settle(ctx, post)


def on_tick(ctx: Ctx) -> None:
    """Retry the off commands of retired posts; forget a post once all its relays are confirmed open."""
    for post in list(ctx.state.retired.values()):
        relays.retry(ctx, post.sockets.values())
        settle(ctx, post)


def settle(ctx: Ctx, post: PostState) -> None:
    """Forget a retired post once every relay is confirmed open (clears its alarm); else keep the alarm up."""
    off = all(not s.relay and (s.pending is None or not s.pending.on) for s in post.sockets.values())
    if off and all(s.pending is None for s in post.sockets.values()):
        del ctx.state.retired[post.id]
        clear_now(ctx, "unconfigured_device", device=post.id)  # confirmed off: the cause is gone for certain
    else:
        _alarm(ctx, post.id, True)


def _alarm(ctx: Ctx, device: str, active: bool) -> None:
    observe(
        ctx,
        AlarmClass.TROUBLE,
        "unconfigured_device",
        active,
        device=device,
        message="not in the shed config and not confirmed off: commanding its relays off",
    )
