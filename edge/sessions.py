"""Charging sessions of an authorised shed: start, stop, meter, enforce limits, end (pure decisions).

In a shed whose config says ``mode = "authorised"`` a socket's relay is energised only while a session the
cloud started (``start_session``) is active on it. The edge enforces every session itself, so its limits hold
while the cloud is unreachable, and stores it (see edge.actions.SaveSession) so it survives a restart.

A session ends, once, with a ``session_ended`` event and its socket's relay cut:

* ``full``: the edge's full detection (below ``full_power_w`` for ``full_hold_s``). The relay is cut at once,
  without the open shed's float top-up: the resident's session is their contract for energy, power after it
  would be power outside any session, and a full pack left on charge is where e-bike fires start.
* ``unplugged``: the post reports the socket empty after a plug was seen (also when that happened while the
  edge was down), no plug within ``unplugged_window_s`` of the start, or the open shed's low-power rule.
* ``stopped`` (stop_session), ``limit_energy`` (``limit_wh``), ``limit_time`` (``limit_s``, or the shed's
  ``max_session_s`` / ``forced_end_s``, on the monotonic clock, including time before a restart).
* ``interlock``: a safety cut already opened the relay (a trip of the socket or shed, the post over its hard
  limit, an operator's stop_socket); ``fault``: a post fault, a post offline, a stale or implausible meter, or a
  relay that never confirmed on; ``removed``: a config dropped the socket or turned the shed open.
"""

from typing import Any

from edge.actions import SaveSession
from edge.context import Ctx
from edge.sessions_state import CHECKPOINT_MS, METER_INTERVAL_MS, ChargeSession
from edge.socket_rules import close_session, end_session
from edge.state import ShedState, SocketState
from protocol.commands import Command
from protocol.uplink import SessionEnded, SessionEndReason, SessionMeter, SessionStarted

ENDED_MEMORY = 1000  # ended session ids remembered (and stored) so a late start_session never starts one again
UNSUPERVISED_TRIPS = frozenset({"stale_telemetry", "sensor_fault", "sensor_suspect"})  # a fault, not a cut
# the relay (and interlock) reason with which a session end cuts its socket; "interlock": already cut
CUT_REASON: dict[SessionEndReason, str] = {
    SessionEndReason.FULL: "full",
    SessionEndReason.UNPLUGGED: "unplugged",
    SessionEndReason.STOPPED: "session_stop",
    SessionEndReason.LIMIT_ENERGY: "limit_energy",
    SessionEndReason.LIMIT_TIME: "limit_time",
    SessionEndReason.FAULT: "session_fault",
    SessionEndReason.REMOVED: "session_removed",
}
# what a hold-off set by the other rules (edge.socket_rules, edge.post_rules, edge.commands) means for a session
HOLD_OFF_END: dict[str, SessionEndReason] = {
    "full": SessionEndReason.FULL,
    "unplugged": SessionEndReason.UNPLUGGED,
    "max_session": SessionEndReason.LIMIT_TIME,
    "decommissioned": SessionEndReason.REMOVED,
}

Outcome = tuple[str, str]  # (CommandResult status, detail)


def socket_of(state: ShedState, device: str, socket: int) -> SocketState | None:
    """The configured socket ``device``/``socket``, or None."""
    post = state.posts.get(device)
    return post.sockets.get(socket) if post is not None else None


def start(ctx: Ctx, cmd: Command) -> Outcome:
    """Take a start_session: energise the socket for the session, or say why not."""
    st = ctx.state
    sid, device, number = cmd.session or "", cmd.device or "", cmd.socket or 0
    where = f"{device}/{number}"
    if st.config.mode != "authorised":
        return "rejected", "the shed is open (plug and charge): sessions need mode authorised"
    running = st.sessions.get(sid)
    if running is not None:
        if (running.device, running.socket) == (device, number):
            return "applied", f"session {sid} already active on {where}"
        return "rejected", f"session {sid} is active on {running.device}/{running.socket}"
    if sid in st.ended_sessions:
        return "rejected", f"session {sid} already ended ({st.ended_sessions[sid]})"
    sock = socket_of(st, device, number)
    if sock is None:
        return "rejected", f"unknown socket {where}"
    refusal = _refusal(ctx, sock)
    if refusal:
        return "rejected", f"{where} {refusal}"
    ses = ChargeSession(
        session=sid,
        device=device,
        socket=number,
        limit_wh=cmd.limit_wh,
        limit_s=cmd.limit_s,
        actor=cmd.actor,
        counter_wh=sock.energy_wh if sock.energy_seen else None,
        resumed_ms=ctx.now,
        plugged_seen=sock.seen and sock.plugged,
        next_meter_ms=ctx.now + METER_INTERVAL_MS,
    )
    st.sessions[sid] = ses
    sock.charge = ses
    # what held the relay off after the last session (full, unplugged, no session) no longer applies
    sock.hold_off = None
    sock.ended_full = False
    sock.full_since_ms = sock.full_since_wall = None
    ctx.interlock("restore", "socket", "session_start", device=device, socket=number, actor=cmd.actor)
    ctx.send_relay(sock, on=True, reason="session_start")
    ctx.emit(SessionStarted(**_about(ctx, ses), limit_wh=cmd.limit_wh, limit_s=cmd.limit_s))
    ctx.actions.append(SaveSession(sid, True, ses.record(ctx.now)))
    return "applied", f"session {sid} started on {where}"


def _refusal(ctx: Ctx, sock: SocketState) -> str:
    """Why this socket cannot take a new session now ("" when it can)."""
    st = ctx.state
    if sock.trip is not None or st.shed_trips:
        return f"is tripped ({sock.trip or ', '.join(sorted(st.shed_trips))}): reset first"
    if sock.post_fault:
        return "is faulted (the post's self-test)"
    dev = st.devices.get(sock.device)
    if dev is None or not dev.online:
        return f"is unsupervised: {sock.device} is offline"
    if sock.charge is not None:
        return f"has another active session ({sock.charge.session})"
    if sock.hold_off == "operator_stop":
        return "was stopped by an operator: start_socket first"
    if st.posts[sock.device].refusing:
        return f"is refused: {sock.device} is over its soft limit"
    return ""


def stop(ctx: Ctx, cmd: Command) -> Outcome:
    """Take a stop_session: end the session and cut its socket. Idempotent for an ended or unknown session."""
    st = ctx.state
    sid = cmd.session or ""
    ses = st.sessions.get(sid)
    if ses is None:
        ended = st.ended_sessions.get(sid)
        return "applied", f"session {sid} already ended ({ended})" if ended else f"no active session {sid}"
    if cmd.device is not None and (cmd.device, cmd.socket) != (ses.device, ses.socket):
        return "rejected", f"session {sid} is on {ses.device}/{ses.socket}, not {cmd.device}/{cmd.socket}"
    energy, duration = end(ctx, ses, SessionEndReason.STOPPED)
    return "applied", f"session {sid} stopped: {energy:.1f} Wh in {duration:.0f} s"


def end(ctx: Ctx, ses: ChargeSession, reason: SessionEndReason) -> tuple[float, float]:
    """End a session: report it, forget it (remembering its id), cut its socket; returns (Wh, s)."""
    st = ctx.state
    duration = ses.duration_s(ctx.now)
    energy = ses.energy_wh
    ctx.emit(SessionEnded(**_about(ctx, ses), energy_wh=energy, duration_s=duration, reason=reason))
    st.sessions.pop(ses.session, None)
    st.ended_sessions[ses.session] = reason.value
    while len(st.ended_sessions) > ENDED_MEMORY:
        del st.ended_sessions[next(iter(st.ended_sessions))]
    ctx.actions.append(SaveSession(ses.session, False, {**ses.record(ctx.now), "reason": reason.value}))
    sock = socket_of(st, ses.device, ses.socket)
    if sock is None or sock.charge is not ses:
        return energy, duration  # dropped by a config: already cut as decommissioned
    sock.charge = None
    if sock.session_id == ses.session:
        # the socket shows no session that ended: without this, a reset before any reading showed the relay open
        # left it on the socket, and a relay closed again reported "charging" under the ended session's id
        close_session(ctx, sock)
    already_cut = sock.hold_off is not None or sock.trip is not None or st.shed_trips
    if reason is not SessionEndReason.INTERLOCK and not already_cut:
        end_session(ctx, sock, CUT_REASON[reason])
    return energy, duration


def review(ctx: Ctx, device: str | None = None, *, tick: bool = False) -> None:
    """After every input: end the sessions that must end, meter the rest, re-energise one a post dropped.

    ``device``: only that post's sessions (after its telemetry or relay result); None: every session.
    ``tick``: time passed; every ``CHECKPOINT_MS`` (10 s) of it all sessions are stored (time and energy so far).
    """
    st = ctx.state
    checkpoint = tick and ctx.now - st.sessions_saved_ms >= CHECKPOINT_MS
    if checkpoint:
        st.sessions_saved_ms = ctx.now
    for ses in list(st.sessions.values()):
        if device is not None and ses.device != device:
            continue
        sock = socket_of(st, ses.device, ses.socket)
        reason = end_reason(ctx, ses, sock)
        if reason is not None:
            end(ctx, ses, reason)
            continue
        assert sock is not None  # no reason to end: the socket exists
        if ctx.now >= ses.next_meter_ms:
            _meter(ctx, ses)
        elif checkpoint:
            ctx.actions.append(SaveSession(ses.session, True, ses.record(ctx.now)))
        if sock.seen and sock.plugged and not sock.relay and sock.pending is None:
            # the post opened the relay on its own (its watchdog while the edge was down, a reboot): the session
            # is still active and nothing holds the socket off, so power it again
            ctx.send_relay(sock, on=True, reason="session_resume")


def end_reason(ctx: Ctx, ses: ChargeSession, sock: SocketState | None) -> SessionEndReason | None:
    """Why this session must end now, or None (first match: removal, safety, faults, the session's own ends)."""
    st = ctx.state
    if sock is None or sock.charge is not ses or st.config.mode != "authorised":
        return SessionEndReason.REMOVED
    if sock.trip is not None:
        return SessionEndReason.FAULT if sock.trip in UNSUPERVISED_TRIPS else SessionEndReason.INTERLOCK
    if st.shed_trips:
        return SessionEndReason.INTERLOCK
    dev = st.devices.get(sock.device)
    if sock.post_fault or dev is None or not dev.online:
        return SessionEndReason.FAULT
    if sock.pending is not None and sock.pending.on and sock.pending.failed:
        return SessionEndReason.FAULT  # the post never confirmed the relay on
    if sock.hold_off is not None:
        return HOLD_OFF_END.get(sock.hold_off, SessionEndReason.INTERLOCK)
    if sock.ended_full:
        return SessionEndReason.FULL
    t = ctx.t
    duration = ses.duration_s(ctx.now)
    if sock.seen:
        if sock.plugged:
            ses.plugged_seen = True
        elif ses.plugged_seen or duration >= t.unplugged_window_s:
            return SessionEndReason.UNPLUGGED
    if ses.limit_wh is not None and ses.energy_wh >= ses.limit_wh:
        return SessionEndReason.LIMIT_ENERGY
    if ses.limit_s is not None and duration >= ses.limit_s:
        return SessionEndReason.LIMIT_TIME
    if duration >= min(t.max_session_s, t.forced_end_s):
        return SessionEndReason.LIMIT_TIME
    return None


def _about(ctx: Ctx, ses: ChargeSession) -> dict[str, Any]:
    """The fields every session event shares (seq 0: the outbox numbers it)."""
    return {
        "src": ctx.shed,
        "seq": 0,
        "ts": ctx.wall,
        "session": ses.session,
        "device": ses.device,
        "socket": ses.socket,
    }


def _meter(ctx: Ctx, ses: ChargeSession) -> None:
    """Report the session's energy and time (every 60 s of monotonic time) and store it."""
    ctx.emit(SessionMeter(**_about(ctx, ses), energy_wh=ses.energy_wh, duration_s=ses.duration_s(ctx.now)))
    ses.next_meter_ms += METER_INTERVAL_MS
    if ses.next_meter_ms <= ctx.now:  # the agent was busy or stopped: the next one a whole interval from now
        ses.next_meter_ms = ctx.now + METER_INTERVAL_MS
    ctx.actions.append(SaveSession(ses.session, True, ses.record(ctx.now)))


def restore(state: ShedState, active: list[dict[str, Any]], ended: list[tuple[str, str]], now_ms: int) -> int:
    """Put stored sessions back into a fresh state (at monotonic ``now_ms``); returns how many are active.

    A record that cannot be read is skipped (and counted by the caller's log); a session whose socket the
    config no longer has stays in ``state.sessions`` until the first review ends it as ``removed``.
    """
    for sid, reason in ended[-ENDED_MEMORY:]:
        state.ended_sessions[sid] = reason
    n = 0
    for rec in active:
        try:
            ses = ChargeSession.from_record(rec, now_ms)
        except (KeyError, TypeError, ValueError):
            continue
        state.sessions[ses.session] = ses
        sock = socket_of(state, ses.device, ses.socket)
        if sock is not None:
            sock.charge = ses
        n += 1
    return n
