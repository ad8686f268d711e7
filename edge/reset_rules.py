"""Which latches a reset may lift: one it cannot see, or whose last reading still breaks a limit, it keeps.

A reset re-allows charging and supersedes the retries of the offs it clears (edge.relays.supersede). Lifting
the latch of a socket whose newest reading is still over a limit would leave it energised until its post
happens to report again (a failing post that reports nothing more: until the stale cut, 30 s by default). When
in doubt, cut: such a socket keeps its latch and its retries, and the answer says why.
"""

from edge import liveness
from edge.context import Ctx
from edge.state import SocketState


def why_kept(ctx: Ctx, sock: SocketState) -> str | None:
    """Why a reset must not lift ``sock``'s latch (a phrase for the command's answer), None when it may."""
    if liveness.unseen(ctx, sock):
        return "telemetry stale and relay not confirmed open"
    t = ctx.t
    if sock.power_w > t.over_power_w:
        return f"last reading {sock.power_w:g} W, over {t.over_power_w:g} W"
    if sock.current_a > t.over_current_a:
        return f"last reading {sock.current_a:g} A, over {t.over_current_a:g} A"
    if sock.temp_c is not None and sock.temp_c >= t.socket_overtemp_c:
        return f"last reading {sock.temp_c:g} °C, at or over {t.socket_overtemp_c:g} °C"
    return None
