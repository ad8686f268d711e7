"""Sockets the config does not (or no longer) list: a socket that is gone stays off.

A post dropped by a config push, a socket a push cut from a post that stays, any unconfigured
post, and any socket number past its configured post's count: none is supervised, so a closed
relay (or power drawn) there is commanded off, with retries, until its telemetry or a
RelayResult confirms it open, and an ``unconfigured_device`` trouble alarm names the post
meanwhile. Such sockets live in ``ShedState.retired`` (by post id, beside the configured post
of the same id when there is one) until then; nothing else is judged about them.
"""

from collections.abc import Sequence

from edge import relays
from edge.alarms import clear_now, observe
from edge.context import Ctx
from edge.relays import confirmed, reading_confirms
from edge.state import PostState, SocketState
from protocol.config import ShedConfig
from protocol.device import RelayResult, SocketReading
from protocol.uplink import AlarmClass, SocketStatus, SocketStatusChanged

UNCONFIGURED = "unconfigured"


def retire(ctx: Ctx, post: PostState) -> None:
    """Keep commanding dropped sockets off until confirmed (called when a config drops a post or some sockets).

    Each dropped socket is last reported ``free`` without a session: it is no longer a socket of the shed, and
    the cloud must not show it ``charging`` for ever (a socket a later push adds again starts ``free`` too, so
    its next change is reported).
    """
    for sock in post.sockets.values():
        if sock.status != SocketStatus.FREE:
            sock.status = SocketStatus.FREE
            ctx.emit(
                SocketStatusChanged(
                    src=ctx.shed, seq=0, ts=ctx.wall, device=sock.device, socket=sock.socket, status=SocketStatus.FREE
                )
            )
    live = {n: s for n, s in post.sockets.items() if s.relay or s.pending is not None}
    for sock in live.values():
        sock.hold_off = sock.hold_off or "decommissioned"  # its cut is reported already: not again as a stray
    if live:
        kept = ctx.state.retired.setdefault(post.id, PostState(post.id, {}))
        kept.sockets.update(live)
        _alarm(ctx, kept, True)


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


def energised(ctx: Ctx, r: SocketReading) -> bool:
    """A reading that says power may flow: a closed relay, or a meter drawing more than an idle socket."""
    return r.relay or r.power_w > ctx.t.unplugged_power_w


def on_unconfigured(ctx: Ctx, src: str, readings: Sequence[SocketReading]) -> None:
    """Readings from a post not in the config, or of socket numbers its post does not have (past its count,
    or dropped by a push).

    Any energised one is commanded off (forced: a relay reported open while the meter draws power is not
    believed) and retried until confirmed; the post's ``unconfigured_device`` alarm stays up meanwhile.
    """
    device = src
    post = ctx.state.retired.get(device)
    if post is None:
        if not any(energised(ctx, r) for r in readings):
            return  # off and not ours: nothing to protect (the adapter counts it)
        post = PostState(device, {})
        ctx.state.retired[device] = post
    for r in readings:
        sock = post.sockets.get(r.socket)
        if sock is None:
            if not energised(ctx, r):
                continue
            sock = post.sockets[r.socket] = SocketState(device, r.socket)
        sock.relay = r.relay
        sock.power_w = r.power_w
        sock.last_ms = ctx.now
        if sock.pending is not None and reading_confirms(sock.pending, r.relay, r.power_w, ctx.t.unplugged_power_w):
            confirmed(ctx, sock)
        if energised(ctx, r):
            if sock.hold_off is None:  # reported once per stray socket, however long it takes to confirm
                sock.hold_off = UNCONFIGURED
                ctx.interlock("cut", "socket", UNCONFIGURED, device=device, socket=r.socket)
            ctx.ensure_off(sock, UNCONFIGURED, force=sock.pending is None)
    settle(ctx, post)


def on_result(ctx: Ctx, post: PostState, result: RelayResult) -> None:
    """A post's answer (edge.relays took it): a relay it opened draws nothing from now on, whatever it last read."""
    sock = post.sockets.get(result.socket)
    if sock is not None and result.ok and not result.relay:
        sock.power_w = 0.0
    settle(ctx, post)


def on_tick(ctx: Ctx) -> None:
    """Retry the off commands of retired sockets; forget a post's once all are confirmed open."""
    for post in list(ctx.state.retired.values()):
        relays.retry(ctx, post.sockets.values())
        settle(ctx, post)


def settle(ctx: Ctx, post: PostState) -> None:
    """Forget a post's retired sockets once every one is confirmed open (clears its alarm); else keep the alarm."""
    quiet = ctx.t.unplugged_power_w
    if all(not s.relay and s.pending is None and s.power_w <= quiet for s in post.sockets.values()):
        del ctx.state.retired[post.id]
        clear_now(ctx, "unconfigured_device", device=post.id)  # confirmed off: the cause is gone for certain
    else:
        _alarm(ctx, post, True)


def _alarm(ctx: Ctx, post: PostState, active: bool) -> None:
    if post.id in ctx.state.posts:
        what = f"socket(s) {', '.join(str(n) for n in sorted(post.sockets))} of {post.id}"
    else:
        what = post.id
    observe(
        ctx,
        AlarmClass.TROUBLE,
        "unconfigured_device",
        active,
        device=post.id,
        message=f"{what} not in the shed config and not confirmed off: commanding the relay(s) off",
    )
