"""Alarm detection with damping: delay-on, delay-off, hysteresis and a rate limit, so nothing chatters.

Safety trips raise their alarm at once and latch it until a reset; other conditions pass
through ``observe`` which raises only after the condition held for ``delay_on_s``, clears
only after it was absent for ``delay_off_s``, and holds an alarm that already raised
``max_raises`` times within ``rate_window_s`` (a chattering alarm stays up instead of
flapping). Alarm ids are stable per condition: ``{shed}/{type}[/{device}[/{socket}]]``.
"""

import functools
from collections.abc import Collection
from dataclasses import dataclass

from edge.alarm_text import describe
from edge.context import Ctx
from edge.state import AlarmTrack
from protocol.uplink import AlarmClass, AlarmCleared, AlarmRaised


@dataclass(frozen=True, slots=True)
class Damping:
    """How one alarm type is damped (seconds)."""

    delay_on_s: float = 0.0
    delay_off_s: float = 30.0
    max_raises: int = 3
    rate_window_s: float = 600.0


IMMEDIATE = Damping(delay_on_s=0.0, delay_off_s=30.0)
# supervisory and trouble conditions: a reading must persist before anyone is called
SLOW = Damping(delay_on_s=10.0, delay_off_s=60.0)


@functools.lru_cache(maxsize=65_536)  # pure, and asked for every observation of every reading
def alarm_id(shed: str, alarm_type: str, device: str | None = None, socket: int | None = None) -> str:
    """The stable id of one alarm condition."""
    parts = [shed, alarm_type]
    if device is not None:
        parts.append(device)
    if socket is not None:
        parts.append(str(socket))
    return "/".join(parts)


def above(value: float, threshold: float, active: bool, hysteresis: float = 0.05) -> bool:
    """True over the threshold; once active, stays true until ``hysteresis`` (a fraction) below it."""
    return value >= (threshold * (1 - hysteresis) if active else threshold)


def below(value: float, threshold: float, active: bool, hysteresis: float = 0.05) -> bool:
    """True under the threshold; once active, stays true until ``hysteresis`` above it."""
    return value <= (threshold * (1 + hysteresis) if active else threshold)


def _track(ctx: Ctx, alarm_class: AlarmClass, alarm_type: str, device: str | None, socket: int | None) -> AlarmTrack:
    aid = alarm_id(ctx.shed, alarm_type, device, socket)
    track = ctx.state.alarms.get(aid)
    if track is None:
        track = AlarmTrack(aid, alarm_class, alarm_type, device, socket)
        ctx.state.alarms[aid] = track
    return track


def _raise(ctx: Ctx, track: AlarmTrack, message: str, value: float | None, threshold: float | None) -> None:
    track.active = True
    track.clear_since_ms = None
    track.raises.append(ctx.now)
    if not message:  # never a blank alarm: what, where, the value against its limit (edge.alarm_text)
        message = describe(track.alarm_type, ctx.shed, track.device, track.socket, value, threshold, ctx.t)
    ctx.emit(
        AlarmRaised(
            src=ctx.shed,
            seq=0,
            ts=ctx.wall,
            alarm_id=track.alarm_id,
            alarm_class=track.alarm_class,
            alarm_type=track.alarm_type,
            device=track.device,
            socket=track.socket,
            message=message[:200],
            value=value,
            threshold=threshold,
        )
    )


def _clear(ctx: Ctx, track: AlarmTrack, message: str) -> None:
    track.active = False
    track.latched = False
    track.cond_since_ms = None
    track.clear_since_ms = None
    ctx.emit(
        AlarmCleared(
            src=ctx.shed,
            seq=0,
            ts=ctx.wall,
            alarm_id=track.alarm_id,
            alarm_class=track.alarm_class,
            alarm_type=track.alarm_type,
            device=track.device,
            socket=track.socket,
            message=message[:200],
        )
    )


def alarm_active(ctx: Ctx, alarm_type: str, *, device: str | None = None, socket: int | None = None) -> bool:
    """Whether this alarm condition is raised now."""
    track = ctx.state.alarms.get(alarm_id(ctx.shed, alarm_type, device, socket))
    return track is not None and track.active


def raise_latched(
    ctx: Ctx,
    alarm_class: AlarmClass,
    alarm_type: str,
    *,
    device: str | None = None,
    socket: int | None = None,
    message: str = "",
    value: float | None = None,
    threshold: float | None = None,
) -> None:
    """Raise a safety alarm at once (no damping: lives are at stake); it stays until a reset."""
    track = _track(ctx, alarm_class, alarm_type, device, socket)
    track.latched = True
    if not track.active:
        _raise(ctx, track, message, value, threshold)


def observe(
    ctx: Ctx,
    alarm_class: AlarmClass,
    alarm_type: str,
    condition: bool,
    *,
    device: str | None = None,
    socket: int | None = None,
    damping: Damping = IMMEDIATE,
    message: str = "",
    value: float | None = None,
    threshold: float | None = None,
) -> None:
    """Feed one observation of a condition; raise or clear with damping."""
    aid = alarm_id(ctx.shed, alarm_type, device, socket)
    track = ctx.state.alarms.get(aid)
    if track is None:
        if not condition:
            return  # nothing to track: keeps the table small
        track = _track(ctx, alarm_class, alarm_type, device, socket)
    if condition:
        track.clear_since_ms = None
        if track.active:
            return
        if track.cond_since_ms is None:
            track.cond_since_ms = ctx.now
        if ctx.now - track.cond_since_ms >= damping.delay_on_s * 1000:
            _raise(ctx, track, message, value, threshold)
        return
    track.cond_since_ms = None
    if not track.active or track.latched:
        return
    if track.clear_since_ms is None:
        track.clear_since_ms = ctx.now
    if ctx.now - track.clear_since_ms < damping.delay_off_s * 1000:
        return
    window_start = ctx.now - damping.rate_window_s * 1000
    while track.raises and track.raises[0] < window_start:
        track.raises.popleft()
    if len(track.raises) >= damping.max_raises:
        return  # chattering: hold the alarm up until the condition stays away a whole window
    # ``message`` describes the condition (the raise); a clear says it is over, never the raise text again
    _clear(ctx, track, "back to normal")


def clear_latched(
    ctx: Ctx,
    *,
    device: str | None = None,
    socket: int | None = None,
    message: str = "reset",
    keep: Collection[tuple[str, int]] = (),
) -> None:
    """Clear latched alarms after an authorised reset: of one socket, or (no target) of the whole shed.

    ``keep``: (device, socket) pairs whose latch the reset could not lift: their alarms stay raised.
    """
    for track in list(ctx.state.alarms.values()):
        if not (track.active and track.latched) or (track.device, track.socket) in keep:
            continue
        if device is not None and (track.device != device or track.socket != socket):
            continue
        _clear(ctx, track, message)


def clear_now(ctx: Ctx, alarm_type: str, *, device: str | None = None, socket: int | None = None) -> None:
    """Clear a non-latched alarm at once (its cause is gone for certain, e.g. a relay confirmed)."""
    track = ctx.state.alarms.get(alarm_id(ctx.shed, alarm_type, device, socket))
    if track is not None and track.active and not track.latched:
        _clear(ctx, track, "resolved")
