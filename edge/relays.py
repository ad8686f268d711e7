"""Relay commands until confirmed: retried every ``relay_confirm_s``, then a trouble alarm.

A command is confirmed by the post's RelayResult or by telemetry that shows the relay in
the wanted position (an off: open, and the meter idle), whichever comes first.
"""

from collections.abc import Iterable

from edge import alarm_text
from edge.actions import Relay
from edge.alarms import clear_now, observe
from edge.context import Ctx
from edge.state import PendingRelay, ShedState, SocketState
from protocol.device import RelayResult
from protocol.uplink import AlarmClass


def reading_confirms(pending: PendingRelay, relay: bool, power_w: float | None, idle_w: float) -> bool:
    """Whether a reading confirms a pending command (one rule for configured and unconfigured sockets).

    An on is confirmed by the relay reported closed. An off only by the relay reported open *and* the meter at
    or below ``idle_w`` (``unplugged_power_w``): a relay reported open while the meter draws power is not
    believed (a welded contact, a wrong report), so the off is retried and then alarmed rather than taken as
    done. ``power_w`` None (an implausible meter reading) never confirms an off: when in doubt, cut.
    """
    if pending.on:
        return relay
    return not relay and power_w is not None and power_w <= idle_w


def confirmed(ctx: Ctx, sock: SocketState) -> None:
    """The relay is where we wanted it: forget the pending command, clear any trouble alarm.

    The alarm is looked up even when this command did not fail: a later command (a new cut) may have
    replaced the one whose retries ran out.
    """
    sock.pending = None
    clear_now(ctx, "relay_unconfirmed", device=sock.device, socket=sock.socket)


def on_result(ctx: Ctx, result: RelayResult) -> None:
    """A post answered a relay command (a configured post, or one the edge still commands off)."""
    # a configured post's socket, or one it no longer has (or never had) that the edge still commands off
    holders = (ctx.state.posts.get(result.src), ctx.state.retired.get(result.src))
    sock = next((p.sockets[result.socket] for p in holders if p is not None and result.socket in p.sockets), None)
    if sock is None:
        return
    if result.ok:
        sock.relay = result.relay
    pending = sock.pending
    if pending is not None and pending.request_id == result.request_id and result.ok and result.relay == pending.on:
        confirmed(ctx, sock)


def off_required(state: ShedState, sock: SocketState) -> bool:
    """Whether anything still requires this socket's relay open.

    Its own latch, a shed latch, a hold (session end, operator stop, soft limit, no session while plugged), or
    an authorised shed without a charging session on it (such a socket is energised only for a session).
    """
    if sock.trip is not None or state.shed_trips or sock.hold_off is not None:
        return True
    return state.config.mode == "authorised" and sock.charge is None


def supersede(ctx: Ctx, sockets: Iterable[SocketState]) -> int:
    """After a reset: stop retrying the unconfirmed relay-offs of sockets nothing requires off any more.

    The reset re-allows charging; a retry of the off it cleared, ~``relay_confirm_s`` later, would cut a socket
    legitimately switched on again meanwhile (a new session). An off still required by another condition keeps
    its retries (when in doubt, cut); a cause that is still there (a hot socket, a silent post) trips again at
    its next reading or tick and is commanded off at once. A ``relay_unconfirmed`` alarm already raised stays
    until the post next confirms a command: it did not obey. Returns how many offs were superseded.
    """
    n = 0
    for sock in sockets:
        pending = sock.pending
        if pending is not None and not pending.on and not off_required(ctx.state, sock):
            sock.pending = None
            n += 1
    return n


def on_tick(ctx: Ctx) -> None:
    """Retry unconfirmed commands; after the last retry raise a trouble alarm."""
    retry(ctx, ctx.state.sockets())


def retry(ctx: Ctx, sockets: Iterable[SocketState]) -> None:
    """Resend what is due among ``sockets``; after the last retry raise a ``relay_unconfirmed`` trouble alarm."""
    t = ctx.t
    wait_ms = t.relay_confirm_s * 1000
    for sock in sockets:
        pending = sock.pending
        if pending is None or pending.failed or ctx.now - pending.sent_ms < wait_ms:
            continue
        if pending.attempts <= t.relay_retries:
            pending.attempts += 1
            pending.sent_ms = ctx.now
            ctx.actions.append(_resend(sock, pending.on, pending.request_id, pending.reason))
            continue
        pending.failed = True
        observe(
            ctx,
            AlarmClass.TROUBLE,
            "relay_unconfirmed",
            True,
            device=sock.device,
            socket=sock.socket,
            message=alarm_text.relay_unconfirmed(
                sock.device, sock.socket, pending.on, pending.reason, pending.attempts
            ),
        )


def _resend(sock: SocketState, on: bool, request_id: str, reason: str) -> Relay:
    return Relay(sock.device, sock.socket, on, request_id, reason)
