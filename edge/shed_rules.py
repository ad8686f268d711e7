"""Per-shed rules: off-gas, smoke, heat (fixed and rate of rise), extinguisher discharge cut every socket.

Also the supervisory conditions of extinguishers (low or over pressure, removed) and
sensor faults, which alarm with damping but cut nothing.
"""

from edge.alarms import IMMEDIATE, SLOW, above, alarm_id, below, observe, raise_latched
from edge.context import Ctx
from edge.plausibility import judge_environment, judge_extinguisher
from edge.state import EnvState
from protocol.device import EnvironmentReading, ExtinguisherStatus
from protocol.plausible import ENVIRONMENT_RANGES
from protocol.uplink import AlarmClass

_RATE_WINDOW_MS = 60_000  # rate of rise is measured over the last minute ...
_RATE_MIN_SPAN_MS = 20_000  # ... once at least 20 s of readings are there (noise)


def trip_shed(
    ctx: Ctx,
    reason: str,
    alarm_class: AlarmClass,
    *,
    device: str | None,
    value: float | None = None,
    threshold: float | None = None,
    message: str = "",
) -> None:
    """Cut every socket in the shed and latch until an authorised reset."""
    new = reason not in ctx.state.shed_trips
    ctx.state.shed_trips.add(reason)
    if new:  # the relays first (one post-level off per post): the adapter publishes them before the events are built
        ctx.cut(ctx.state.sockets(), reason)
        ctx.interlock("cut", "shed", reason, device=device, latched=True)
    raise_latched(ctx, alarm_class, reason, device=device, message=message, value=value, threshold=threshold)


def on_environment(ctx: Ctx, r: EnvironmentReading) -> None:
    """A smoke / heat / off-gas sensor reading.

    An implausible field (edge.plausibility) raises ``sensor_fault`` naming the sensor and is not judged,
    except a value above the top of its scale, which is still compared with its limit: a reading past the
    scale is the most alarming thing a heat or gas sensor can say. The other fields are used as usual.
    """
    t = ctx.t
    dev = r.src
    faults = judge_environment(r)
    ignored = {b.field for b in faults if b.value < ENVIRONMENT_RANGES[b.field].high}
    gas = [("h2", r.h2_ppm, t.h2_ppm), ("co", r.co_ppm, t.co_ppm), ("voc", r.voc_ppm, t.voc_ppm)]
    for name, value, limit in gas:
        if f"{name}_ppm" not in ignored and value > limit:
            trip_shed(
                ctx,
                "off_gas",
                AlarmClass.PRE_FIRE,
                device=dev,
                value=value,
                threshold=limit,
                message=f"{name} {value:g} ppm over {limit:g} ppm: a cell may be venting",
            )
    obscured = "smoke_obscuration_pct_m" not in ignored and r.smoke_obscuration_pct_m >= t.smoke_obscuration_pct_m
    if r.smoke_alarm or obscured:
        trip_shed(
            ctx,
            "smoke",
            AlarmClass.FIRE,
            device=dev,
            value=r.smoke_obscuration_pct_m,
            threshold=t.smoke_obscuration_pct_m,
        )
    if "temp_c" not in ignored:
        if r.temp_c >= t.heat_fixed_c:
            trip_shed(ctx, "heat", AlarmClass.FIRE, device=dev, value=r.temp_c, threshold=t.heat_fixed_c)
        _rate_of_rise(ctx, dev, r.temp_c)
    fault = "; ".join([b.describe() for b in faults] + ([r.fault] if r.fault else []))
    # a value out of range is certain at once; the device's own fault text must persist (SLOW)
    damping = IMMEDIATE if faults else SLOW
    observe(ctx, AlarmClass.TROUBLE, "sensor_fault", bool(fault), device=dev, damping=damping, message=fault)


def _rate_of_rise(ctx: Ctx, dev: str, temp_c: float) -> None:
    """Heat rate of rise over the last minute, on the edge's monotonic receipt time (never the sensor's clock)."""
    t = ctx.t
    env = ctx.state.env.setdefault(dev, EnvState())
    temps = env.temps
    now = ctx.now
    temps.append((now, temp_c))
    while temps and temps[0][0] < now - _RATE_WINDOW_MS:
        temps.popleft()
    span = temps[-1][0] - temps[0][0]
    if span >= _RATE_MIN_SPAN_MS:
        rate = (temps[-1][1] - temps[0][1]) / span * 60_000
        if rate >= t.heat_rate_c_per_min:
            trip_shed(
                ctx, "heat_rate", AlarmClass.PRE_FIRE, device=dev, value=round(rate, 2), threshold=t.heat_rate_c_per_min
            )


def on_extinguisher(ctx: Ctx, r: ExtinguisherStatus) -> None:
    """An extinguisher's gauge, valve and bracket."""
    t = ctx.t
    dev = r.src
    if r.discharged:
        trip_shed(ctx, "extinguisher_discharged", AlarmClass.FIRE, device=dev, message="extinguisher discharged")
    faults = judge_extinguisher(r)
    gauge_ok = "pressure_mpa" not in {b.field for b in faults}
    observe(
        ctx,
        AlarmClass.TROUBLE,
        "sensor_fault",
        bool(faults),
        device=dev,
        message="; ".join(b.describe() for b in faults),
    )
    low_active = _active(ctx, "extinguisher_low_pressure", dev)
    high_active = _active(ctx, "extinguisher_over_pressure", dev)
    observe(
        ctx,
        AlarmClass.SUPERVISORY,
        "extinguisher_low_pressure",
        gauge_ok and not r.discharged and below(r.pressure_mpa, t.pressure_low_mpa, low_active),
        device=dev,
        damping=SLOW,
        value=r.pressure_mpa,
        threshold=t.pressure_low_mpa,
    )
    observe(
        ctx,
        AlarmClass.SUPERVISORY,
        "extinguisher_over_pressure",
        gauge_ok and above(r.pressure_mpa, t.pressure_high_mpa, high_active, hysteresis=0.03),
        device=dev,
        damping=SLOW,
        value=r.pressure_mpa,
        threshold=t.pressure_high_mpa,
    )
    observe(ctx, AlarmClass.SUPERVISORY, "extinguisher_removed", r.removed, device=dev, damping=SLOW)


def _active(ctx: Ctx, alarm_type: str, device: str) -> bool:
    track = ctx.state.alarms.get(alarm_id(ctx.shed, alarm_type, device))
    return track is not None and track.active
