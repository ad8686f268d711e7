"""Clock rules: which timestamps the edge believes, and the ``clock`` trouble alarms.

Nothing protecting life depends on a wall clock: every duration is judged on the monotonic
clock (``Ctx.now``) and readings are judged at once on their receipt. A device's ``ts`` is
believed only when it lies within ``clock_skew_s`` of the edge's receipt time (or, while the
edge's own clock is not plausible, within 2020..2100); otherwise the reading is still used,
stamped with the receipt time, and a ``clock`` trouble alarm names the device.
"""

from edge.alarms import observe
from edge.context import Ctx
from protocol.clock import plausible
from protocol.uplink import AlarmClass


def device_ts_ok(ts: int, wall: int, skew_ms: int) -> bool:
    """Whether a device's stamp (UTC ms) is believable given the edge's wall time at receipt."""
    if plausible(wall):
        return abs(ts - wall) <= skew_ms
    return plausible(ts)  # the edge cannot judge the skew: a synced-looking device clock is the best there is


def stamp(ts: int, wall: int, skew_ms: int) -> int:
    """The time to store a reading under: the device's ``ts`` when believable, else the receipt time."""
    return ts if device_ts_ok(ts, wall, skew_ms) else wall


def check_device(ctx: Ctx, device: str, ts: int) -> None:
    """Raise (or clear) the device's ``clock`` trouble alarm after one of its messages."""
    skew_ms = int(ctx.t.clock_skew_s * 1000)
    ok = device_ts_ok(ts, ctx.wall, skew_ms)
    observe(
        ctx,
        AlarmClass.TROUBLE,
        "clock",
        not ok,
        device=device,
        message=f"device clock reads {ts} ms, edge received at {ctx.wall} ms: judged on receipt time",
        value=float(ts - ctx.wall),
        threshold=float(skew_ms),
    )


def check_edge(ctx: Ctx) -> None:
    """Raise (or clear) the edge's own ``clock`` trouble alarm (no device): its wall clock is not plausible."""
    observe(
        ctx,
        AlarmClass.TROUBLE,
        "clock",
        not ctx.wall_ok,
        message=f"edge clock reads {ctx.wall_read} ms (not 2020..2100): events are marked clock_suspect",
        value=float(ctx.wall_read),
    )
