"""Per-post rules: the total power limit (cut the newest sessions) and the soft limit (refuse new ones)."""

from edge.alarms import above, observe
from edge.context import Ctx
from edge.socket_rules import end_session
from edge.state import PostState
from protocol.uplink import AlarmClass


def check_post(ctx: Ctx, post: PostState, reported_total_w: float) -> None:
    """After a post's telemetry: enforce its hard limit and update whether it refuses new sessions."""
    t = ctx.t
    drawing = [s for s in post.sockets.values() if s.relay]
    total = max(reported_total_w, sum(s.power_w for s in drawing))
    post.total_power_w = total
    over = total > t.post_limit_w
    if over:
        # cut the newest sessions first until the rest fits: last come, first cut
        remaining = total
        for sock in sorted(drawing, key=lambda s: s.session_start_ms or 0, reverse=True):
            if remaining <= t.post_limit_w:
                break
            if sock.hold_off is None and sock.trip is None:
                end_session(ctx, sock, "post_over_limit")
            remaining -= sock.power_w
    observe(
        ctx,
        AlarmClass.OPERATIONAL,
        "post_over_limit",
        over,
        device=post.id,
        message=f"{post.id} drew {total:.0f} W (limit {t.post_limit_w:g} W)",
        value=total,
        threshold=t.post_limit_w,
    )
    refusing = above(total, t.post_soft_limit_w, post.refusing)
    if refusing and not post.refusing:
        ctx.interlock("refuse", "post", "post_soft_limit", device=post.id)
    elif post.refusing and not refusing:
        ctx.interlock("restore", "post", "post_soft_limit", device=post.id)
    post.refusing = refusing
