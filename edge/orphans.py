"""Devices the config does not (or no longer) list: a device that is gone stays off.

A post dropped by a config push, a socket dropped from a post that stays, and any unconfigured
post or socket number reporting a closed relay are not supervised: they are commanded off, with
retries, until telemetry or a RelayResult confirms every relay open, and an ``unconfigured_device``
trouble alarm names the post meanwhile. Such sockets live in ``ShedState.retired`` (by post id; a
configured post there holds only its unconfigured sockets) until then; nothing else is judged about them.
"""

from collections.abc import Sequence

from edge import relays
from edge.alarms import clear_now, observe
from edge.context import Ctx
from edge.relays import confirmed
from edge.state import PostState, SocketState
from protocol.config import ShedConfig
from protocol.device import SocketReading
from protocol.uplink import AlarmClass


def retire(ctx: Ctx, post: PostState) -> None:
    """Keep commanding dropped sockets off until confirmed (called when a config drops a post or some sockets)."""
    if any(s.relay or s.pending is not None for s in post.sockets.values()):
        ctx.state.retired.setdefault(post.id, PostState(post.id, {})).sockets.update(post.sockets)
        _alarm(ctx, post.id, True)


def readopt(ctx: Ctx, config: ShedConfig) -> None:
    """A config that lists retired sockets again supervises them: they are no longer commanded off from here.

    Their old off is not carried over (its retry would cut a session the new config allows); the new state
    judges them from their next reading like any configured socket, stale after its intervals if silent.
    """
    for spec in config.posts:
        post = ctx.state.retired.get(spec.id)
        if post is None:
            continue
        for number in [n for n in post.sockets if n <= spec.sockets]:
            del post.sockets[number]
        if not post.sockets:
            del ctx.state.retired[spec.id]
            clear_now(ctx, "unconfigured_device", device=spec.id)


def on_unconfigured(ctx: Ctx, src: str, readings: Sequence[SocketReading]) -> None:
    """Readings from a post not in the config, or of socket numbers its post does not have: any closed relay is
    commanded off."""
    post = ctx.state.retired.get(src)
    if post is None:
        if not any(r.relay for r in readings):
            return  # off and not ours: nothing to protect (the adapter counts it)
        post = PostState(src, {})
        ctx.state.retired[src] = post
    for r in readings:
        sock = post.sockets.setdefault(r.socket, SocketState(src, r.socket))
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
        message="not in the shed config (the post or some sockets), not confirmed off: commanding those relays off",
    )
