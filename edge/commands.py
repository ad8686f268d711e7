"""Cloud commands as decisions: stop or start a socket, reset a trip, push a config.

Every command is checked for expiry and for a known target, applied, and answered with
a CommandResult. The adapter audits it locally and persists an applied config.
"""

from edge import orphans, relays, reset_rules, sessions
from edge.actions import Answer, SaveConfig
from edge.alarms import clear_latched
from edge.context import Ctx
from edge.state import PostState, SocketState, new_state
from protocol.commands import Command
from protocol.config import ShedConfig
from protocol.uplink import CommandResult

# commands that can let power flow again: refused while the edge cannot tell whether they expired
_SWITCH_ON = frozenset({"start_socket", "reset_trip", "start_session"})


def _answer(ctx: Ctx, cmd: Command, status: str, detail: str = "") -> None:
    _answer_id(ctx, cmd.request_id, status, detail)


def _answer_id(ctx: Ctx, request_id: str, status: str, detail: str) -> None:
    ctx.actions.append(
        Answer(
            CommandResult(
                src=ctx.shed,
                seq=0,
                ts=ctx.wall,
                clock_suspect=not ctx.wall_ok,
                request_id=request_id,
                status=status,  # type: ignore[arg-type]
                detail=detail[:200],
            )
        )
    )


def refuse(ctx: Ctx, request_id: str, detail: str) -> None:
    """Answer a command the contract refused (edge.unreadable read its id): nothing is applied."""
    _answer_id(ctx, request_id, "rejected", f"invalid command, not applied: {detail}")


def _socket(ctx: Ctx, cmd: Command) -> SocketState | None:
    post = ctx.state.posts.get(cmd.device or "")
    return post.sockets.get(cmd.socket or 0) if post else None


def on_command(ctx: Ctx, cmd: Command) -> None:
    """Carry out one command and answer it."""
    if not ctx.wall_ok and cmd.action in _SWITCH_ON:
        # expiry cannot be judged on a clock reading 1970 or 2106: never power anything on from a command
        # that may be stale; cutting (stop) and versioned configs stay safe to apply
        _answer(ctx, cmd, "rejected", f"edge clock not plausible ({ctx.wall} ms): cannot check expiry")
        return
    if cmd.action == "stop_session":
        # applied even past its expiry: it only removes power, from the one session it names, so a stale one is
        # never unsafe, and dropping it let a session the cloud had ended (and stopped billing) charge on
        _answer(ctx, cmd, *sessions.stop(ctx, cmd))
        return
    if ctx.wall_ok and cmd.expired(ctx.wall):
        _answer(ctx, cmd, "expired", f"expired at {cmd.expires_at}, now {ctx.wall}")
        return
    if cmd.action == "push_config":
        assert cmd.config is not None
        ok, detail = apply_config(ctx, cmd.config)
        _answer(ctx, cmd, "applied" if ok else "rejected", detail)
        return
    if cmd.action == "reset_trip":
        _reset(ctx, cmd)
        return
    if cmd.action == "start_session":
        _answer(ctx, cmd, *sessions.start(ctx, cmd))
        return
    sock = _socket(ctx, cmd)
    if sock is None:
        _answer(ctx, cmd, "rejected", f"unknown socket {cmd.device}/{cmd.socket}")
        return
    if cmd.action == "stop_socket":
        sock.hold_off = "operator_stop"
        ctx.interlock("cut", "socket", "operator_stop", device=sock.device, socket=sock.socket, actor=cmd.actor)
        ctx.ensure_off(sock, "operator_stop", force=True)
        _answer(ctx, cmd, "applied", f"socket {sock.device}/{sock.socket} stopped")
        return
    # start_socket: never over a latch, never on a silent post
    if sock.trip is not None or ctx.state.shed_trips:
        reason = sock.trip or ", ".join(sorted(ctx.state.shed_trips))
        _answer(ctx, cmd, "rejected", f"tripped ({reason}): reset first")
        return
    if not ctx.state.devices[sock.device].online:
        _answer(ctx, cmd, "rejected", f"{sock.device} is offline")
        return
    sock.hold_off = None
    ctx.interlock("restore", "socket", "operator_start", device=sock.device, socket=sock.socket, actor=cmd.actor)
    if ctx.state.config.mode == "authorised" and sock.charge is None:
        # an authorised shed energises a socket only under a charging session: lift the stop, switch nothing on
        _answer(ctx, cmd, "applied", "stop lifted; an authorised shed energises the socket for a charging session")
        return
    ctx.send_relay(sock, on=True, reason="operator_start")
    _answer(ctx, cmd, "applied", f"socket {sock.device}/{sock.socket} started")


def _reset(ctx: Ctx, cmd: Command) -> None:
    """Lift latches: of one socket, or with no target of the whole shed and every socket."""
    if cmd.device is not None:
        sock = _socket(ctx, cmd)
        if sock is None:
            _answer(ctx, cmd, "rejected", f"unknown socket {cmd.device}/{cmd.socket}")
            return
        targets = [sock]
    else:
        targets = ctx.state.sockets()
    latched = [s for s in targets if s.trip is not None]
    # a socket not seen (stale telemetry, relay never confirmed open) or whose last reading still breaks a limit
    # keeps its latch (edge.reset_rules): lifting it would re-allow charging on a reading that says it is unsafe
    why = {(s.device, s.socket): reason for s in latched if (reason := reset_rules.why_kept(ctx, s)) is not None}
    kept = [s for s in latched if (s.device, s.socket) in why]
    lifted = [s for s in latched if (s.device, s.socket) not in why]
    for sock in lifted:
        ctx.interlock(
            "restore", "socket", sock.trip or "reset", device=sock.device, socket=sock.socket, actor=cmd.actor
        )
        sock.trip = None
        sock.runaway_since_ms = None
    shed_reasons = sorted(ctx.state.shed_trips) if cmd.device is None else []
    for reason in shed_reasons:
        ctx.interlock("restore", "shed", reason, actor=cmd.actor)
    held = {(s.device, s.socket) for s in kept}
    if cmd.device is None:
        ctx.state.shed_trips.clear()
        clear_latched(ctx, message=f"reset by {cmd.actor}", keep=held)
    else:
        clear_latched(ctx, device=cmd.device, socket=cmd.socket, message=f"reset by {cmd.actor}", keep=held)
    # the offs of the latches lifted are no longer retried where nothing else (a kept latch among them) requires
    # the socket off
    superseded = relays.supersede(ctx, ctx.state.sockets() if shed_reasons else lifted)
    n = len(lifted) + len(shed_reasons)
    detail = f"{n} latch(es) lifted" if n else ("nothing was latched" if not kept else "no latch lifted")
    if superseded:
        detail += f"; {superseded} unconfirmed relay-off(s) no longer retried"
    _answer(ctx, cmd, "applied" if n or not kept else "rejected", detail + _kept(kept, why))


def _kept(kept: list[SocketState], why: dict[tuple[str, int], str]) -> str:
    """What a reset could not lift, and why (empty when it lifted everything)."""
    if not kept:
        return ""
    names = "; ".join(f"{s.device}/{s.socket} ({s.trip}): {why[(s.device, s.socket)]}" for s in kept[:6])
    return f"; {len(kept)} kept: {names}" + (" …" if len(kept) > 6 else "")


def apply_config(ctx: Ctx, config: ShedConfig) -> tuple[bool, str]:
    """Apply a newer config for this shed, keeping what is known of sockets that remain; else keep the old one."""
    old = ctx.state.config
    if config.shed != old.shed:
        return False, f"config is for shed {config.shed!r}, this is {old.shed!r}"
    if config.version <= old.version:
        return False, f"version {config.version} is not newer than {old.version}"
    try:
        fresh = new_state(config, ctx.now)
        for pid, post in fresh.posts.items():
            before = ctx.state.posts.get(pid)
            if before is None:
                continue
            fresh.posts[pid] = PostState(
                pid,
                {n: before.sockets.get(n) or s for n, s in post.sockets.items()},
                before.total_power_w,
                before.refusing,
            )
        for did, dev in ctx.state.devices.items():
            if did in fresh.devices:
                fresh.devices[did] = dev
        removed_tripped = [
            f"{s.device}/{s.socket}"
            for s in ctx.state.sockets()
            if s.trip and (s.device not in fresh.posts or s.socket not in fresh.posts[s.device].sockets)
        ]
        if removed_tripped:
            return False, f"would drop tripped sockets {removed_tripped}: reset them first"
    except Exception as exc:  # any surprise: keep the running config (rollback)
        return False, f"not applied: {exc}"
    st = ctx.state
    for post_id, post in st.posts.items():
        dropped = PostState(post_id, {})
        for sock in post.sockets.values():
            if post_id not in fresh.posts or sock.socket not in fresh.posts[post_id].sockets:
                dropped.sockets[sock.socket] = sock
                if sock.relay:
                    # no longer supervised once the config drops it: never leave it switched on
                    ctx.interlock("cut", "socket", "decommissioned", device=sock.device, socket=sock.socket)
                    ctx.ensure_off(sock, "decommissioned", force=True)
        if dropped.sockets:
            orphans.retire(ctx, dropped)  # commanded off until confirmed, not forgotten after one command
    orphans.readopt(ctx, config)
    st.config = config
    st.posts = fresh.posts
    st.devices = fresh.devices
    ctx.actions.append(SaveConfig(config.version))
    return True, f"version {config.version} applied"
