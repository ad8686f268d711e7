"""The edge's decision function: ``decide(state, input, now) -> (state, actions)``.

Pure: no MQTT, database or clock inside; the adapter passes ``now`` (monotonic ms: every
duration is judged on it) and ``wall`` (UTC epoch ms, which only stamps messages and may
read 1970 or 2106). The state is updated in place and returned. Any error inside a rule
fails safe: every socket that may be affected is cut and a trouble alarm raised.
"""

from edge import clock_rules, liveness, orphans, relays, sessions
from edge.actions import Action
from edge.alarms import observe, raise_latched
from edge.commands import on_command
from edge.context import Ctx
from edge.inputs import CommandIn, Input, Tick
from edge.plausibility import judge
from edge.post_rules import check_post
from edge.shed_rules import on_environment, on_extinguisher
from edge.socket_rules import on_reading, socket_status
from edge.state import PostState, ShedState
from protocol.device import EnvironmentReading, ExtinguisherStatus, PostHeartbeat, PostTelemetry, RelayResult
from protocol.plausible import POST_RANGES, SOCKET_RANGES
from protocol.uplink import AlarmClass, SocketStatusChanged


def decide(state: ShedState, event: Input, now: int, wall: int | None = None) -> tuple[ShedState, list[Action]]:
    """React to one input at monotonic time ``now`` (ms); return the state and the actions to carry out.

    ``wall`` (UTC epoch ms, default ``now``) stamps the events; any value works, however implausible.
    """
    ctx = begin(state, event, now, wall)
    return state, finish(ctx)


def begin(state: ShedState, event: Input, now: int, wall: int | None = None) -> Ctx:
    """The first half of :func:`decide`: apply the rules (and the fail-safe); the relay actions are all known.

    The adapter publishes ``ctx.actions``' relays before calling :func:`finish`: a shed cut's 200 status
    events must not hold up its first relay-off. ``finish(begin(...))`` is exactly ``decide``.
    """
    ctx = Ctx(state, now, now if wall is None else wall)
    try:
        _dispatch(ctx, event)
    except Exception as exc:  # fail safe: an interlock that cannot decide cuts power
        _fail_safe(ctx, event, exc)
    return ctx


def finish(ctx: Ctx) -> list[Action]:
    """The second half of :func:`decide`: the socket status events; returns every action of the decision."""
    _statuses(ctx)
    return ctx.actions


def _dispatch(ctx: Ctx, event: Input) -> None:
    st = ctx.state
    if isinstance(event, PostTelemetry):
        post = st.posts.get(event.src)
        if post is None:
            orphans.on_unconfigured(ctx, event.src, event.sockets)
            return
        liveness.heard(ctx, post.id)
        for reading in event.sockets:
            sock = post.sockets.get(reading.socket)
            if sock is not None:
                on_reading(ctx, post, sock, reading)
        extra = [r for r in event.sockets if r.socket not in post.sockets]
        if extra or event.src in st.retired:  # sockets the config dropped or never had: kept off until confirmed
            orphans.on_unconfigured(ctx, event.src, extra)
        check_post(ctx, post, _post_total(ctx, event))
        clock_rules.check_device(ctx, event.src, event.ts)
    elif isinstance(event, Tick):
        liveness.on_tick(ctx)
        relays.on_tick(ctx)
        orphans.on_tick(ctx)
        clock_rules.check_edge(ctx)
    elif isinstance(event, PostHeartbeat):
        liveness.heard(ctx, event.src)
        clock_rules.check_device(ctx, event.src, event.ts)
    elif isinstance(event, RelayResult):
        liveness.heard(ctx, event.src)
        relays.on_result(ctx, event)
        retired = st.retired.get(event.src)
        if retired is not None:
            orphans.settle(ctx, retired)
    elif isinstance(event, EnvironmentReading):
        if event.src in st.devices:
            liveness.heard(ctx, event.src)
            on_environment(ctx, event)
            clock_rules.check_device(ctx, event.src, event.ts)
    elif isinstance(event, ExtinguisherStatus):
        if event.src in st.devices:
            liveness.heard(ctx, event.src)
            on_extinguisher(ctx, event)
            clock_rules.check_device(ctx, event.src, event.ts)
    elif isinstance(event, CommandIn):
        on_command(ctx, event.command)
    if st.sessions:  # an authorised shed's charging sessions: ends, limits, meter events (none in an open shed)
        src = event.src if isinstance(event, PostTelemetry | RelayResult) else None
        sessions.review(ctx, src, tick=isinstance(event, Tick))


def _post_total(ctx: Ctx, event: PostTelemetry) -> float:
    """The post's own total when plausible; else 0 (the sum of its sockets counts) and a trouble alarm.

    A total that includes a socket meter reading nonsense is not believed either: it would cut the siblings.
    """
    bad = judge({"total_power_w": event.total_power_w}, POST_RANGES)
    watts = SOCKET_RANGES["power_w"]
    if any(not watts.low <= r.power_w <= watts.high for r in event.sockets):
        return 0.0  # the broken socket carries its own sensor_fault alarm
    observe(
        ctx,
        AlarmClass.TROUBLE,
        "sensor_fault",
        bool(bad),
        device=event.src,
        message="; ".join(b.describe() for b in bad),
        value=event.total_power_w if bad else None,
    )
    return 0.0 if bad else event.total_power_w


def _fail_safe(ctx: Ctx, event: Input, exc: Exception) -> None:
    """Cut what the failed input could concern: its post's sockets, or the whole shed."""
    posts: list[PostState]
    if isinstance(event, PostTelemetry | RelayResult) and event.src in ctx.state.posts:
        posts = [ctx.state.posts[event.src]]
    else:
        posts = list(ctx.state.posts.values())
    socks = [s for post in posts for s in post.sockets.values()]
    # the relays first: a post failing for the first time gets one post-level off; sockets latched before are
    # said again only when due (a rule failing on every message must not reset their retries each time)
    ctx.cut([s for s in socks if s.trip is None], "internal_error")
    for sock in socks:
        if sock.trip is None:
            sock.trip = "internal_error"
            ctx.interlock("cut", "socket", "internal_error", device=sock.device, socket=sock.socket, latched=True)
        else:
            ctx.ensure_off(sock, "internal_error", force=True)
    raise_latched(ctx, AlarmClass.TROUBLE, "internal_error", message=f"{type(exc).__name__}: {exc}")


def _statuses(ctx: Ctx) -> None:
    """Emit SocketStatusChanged for every socket whose status changed."""
    st = ctx.state
    tripped = bool(st.shed_trips)
    full_w = ctx.t.full_power_w
    for post in st.posts.values():
        dev = st.devices.get(post.id)
        online = dev.online if dev is not None else True
        for sock in post.sockets.values():
            status = socket_status(sock, post_online=online, shed_tripped=tripped, full_power_w=full_w)
            if status != sock.status:
                sock.status = status
                if sock.charge is not None:  # an authorised session: its own metered energy (kept across restarts)
                    energy: float | None = sock.charge.energy_wh
                else:
                    energy = max(0.0, sock.session_energy_wh) if sock.session_start_ms is not None else None
                # built without re-validation (a shed cut emits one per socket before its relays leave): every
                # field is a validated id, a socket number, an enum or a bounded session id
                ctx.emit(
                    SocketStatusChanged.model_construct(
                        src=ctx.shed,
                        seq=0,
                        ts=ctx.wall,
                        device=sock.device,
                        socket=sock.socket,
                        status=status,
                        session_id=sock.session_id,
                        energy_wh=energy,
                    )
                )
