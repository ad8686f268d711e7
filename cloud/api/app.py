"""create_app(settings): the FastAPI app; stores, ingest and background jobs live in its lifespan."""

import asyncio
import contextlib
import functools
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cloud.alarms.config import load_alarm_config
from cloud.alarms.heard import HeardBook
from cloud.alarms.in_force import at_start, default_base_url
from cloud.alarms.runner import AlarmRunner, link_secret
from cloud.api import alarm_config
from cloud.api.alarm_routes import router as alarm_router
from cloud.api.availability_view import AvailabilityView
from cloud.api.deps import CloudState
from cloud.api.live import LiveView
from cloud.api.metrics import ApiMetrics, MeasureRequests
from cloud.api.openapi_errors import install_implied_errors
from cloud.api.principal import install_access_handlers
from cloud.api.routes import ROUTERS
from cloud.api.routes.demo import router as demo_router
from cloud.api.shed_detail import build_shed_detail
from cloud.api.shed_views import ShedViews
from cloud.api.validation import install_validation_handler
from cloud.bus.follower import FeedFollower
from cloud.bus.local import Bus
from cloud.bus.publish import Committed
from cloud.charging.runtime import ChargingRuntime
from cloud.commands.sender import CommandSender
from cloud.core.events import EdgeAlarmCleared, EdgeAlarmRaised, SocketRemoved, SocketStatusChanged, SocketStopChanged
from cloud.errors import CloudError
from cloud.eta.service import EtaService
from cloud.runtime import make_worker, open_stores
from cloud.settings import CloudSettings
from cloud.stream.alarm_feed import AlarmFeed
from cloud.stream.hub import Hub
from cloud.stream.recheck import Recheck, store_lookup
from cloud.stream.source import BusSource
from protocol.brokerurl import BrokerUrl
from protocol.clock import clock_from_spec

log = logging.getLogger(__name__)
MAINTAIN_EVERY_S = 60.0
COMMAND_CONNECT_S = 5.0
# The alarm and notifier threads wait on SQLite and HTTP many times a pass; each time they come back they wait
# for the GIL until the running thread (the ingest writer, parsing telemetry) is forced to yield, every switch
# interval (CPython default 5 ms). At 1 ms those waits no longer add up to tens of ms per alarm (the edge does
# the same for its interlock; see edge/agent.py).
GIL_SWITCH_S = 0.001


async def _maintain(state: CloudState) -> None:
    while True:
        try:
            await asyncio.to_thread(state.stores.telemetry.maintain, state.clock.now_ms())
        except Exception:
            log.exception("telemetry maintenance failed; retrying later")
        await asyncio.sleep(MAINTAIN_EVERY_S)


async def _ping_stream(state: CloudState) -> None:
    # One timer pings every stream client (cheaper than a timeout per client on every event).
    while True:
        await asyncio.sleep(state.settings.stream_ping_s)
        if state.stream is not None:
            state.stream.ping_all(state.clock.now_ms())


async def _follow_inventory(state: CloudState) -> None:
    # `shedwatch cloud inventory import` runs in another process: take its sheds, devices and communities.
    registry = state.settings.strict_registry
    while True:
        await asyncio.sleep(state.settings.inventory_refresh_s)
        try:
            communities = await asyncio.to_thread(state.stores.state.communities)
            state.live.set_communities(communities)
            if state.worker is not None:
                state.worker.registry = await asyncio.to_thread(state.stores.state.registry, strict=registry)
        except Exception:
            log.exception("inventory refresh failed; keeping the last one")


async def _start_commands(state: CloudState) -> None:
    """Connect this process's command sender, retrying while the broker refuses; routes answer 503 until then."""
    settings = state.settings
    while True:
        sender = CommandSender(  # a fresh one per attempt: a failed start has stopped and unsubscribed the last
            state.stores.state,
            BrokerUrl.parse(settings.broker),
            state.clock,
            bus=state.bus if state.worker is not None else None,
            ca_file=settings.tls_ca_file,
        )
        try:
            await asyncio.to_thread(sender.start, COMMAND_CONNECT_S)
        except CloudError as exc:
            log.warning("command sender: %s; retrying", exc)
            await asyncio.sleep(COMMAND_CONNECT_S)
            continue
        state.commands = sender
        return


def create_app(settings: CloudSettings) -> FastAPI:
    """The cloud API; nothing is opened until the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Open stores, rebuild live state, start ingest and jobs; undo it all on shutdown."""
        clock = clock_from_spec(settings.clock)
        if settings.alarms:
            sys.setswitchinterval(GIL_SWITCH_S)
        stores = await asyncio.to_thread(open_stores, settings)
        heads = stores.state.feed_heads()  # before the live state: the follower resumes from here
        live = LiveView(stores.state.load_live(), stores.state.communities())
        bus = Bus()
        committed = Committed(bus, live)
        rules = settings.alarm_rules()
        # The device-silent and post-over-limit rules need all that ingest hears: only with ingest in this process,
        # and only as its one worker (what DELIVERY_ACKS also requires, docs/scaling.md): one of several workers
        # sharing the subscription hears part of each shed, and its silence would be a false alarm.
        whole = settings.ingest and settings.alarms and settings.delivery_acks
        heard = HeardBook(clock, post_limit_w=rules.post_limit_w) if whole else None
        on_batch = heard.on_batch if heard is not None else None
        worker = make_worker(settings, stores, clock, committed=committed, heard=on_batch) if settings.ingest else None
        # With ingest in other processes, the store's event feed is the channel.
        follower = None if worker else FeedFollower(stores.state, committed, poll_s=settings.live_poll_s)
        alarms = None
        # The alarm file is the seed; configuration saved through the API overrides it (cloud.api.alarm_config).
        seed = load_alarm_config(settings.alarm_config)
        if settings.alarms:
            alarms = AlarmRunner(
                stores.state,
                clock,
                config=await asyncio.to_thread(at_start, stores.state, seed),
                secret=link_secret(settings.link_secret, settings.data_dir),
                tick_s=settings.alarm_tick_s,
                default_base_url=default_base_url(settings),
                rules=rules,
                heard=heard,
            )
            # The bus says an edge alarm was stored: the alarm service reads it from the store at once.
            bus.subscribe(alarms.wake, name="alarms", kinds=(EdgeAlarmRaised, EdgeAlarmCleared))
        eta = EtaService(live.snapshot, stores.telemetry, clock.now_ms, refresh_s=settings.eta_refresh_s)
        view = AvailabilityView(live, eta)
        hub = Hub(ring_size=settings.stream_ring_size, queue_size=settings.stream_queue_size)
        source = BusSource(hub, asyncio.get_running_loop(), community_of=live.community, availability_of=view.one)
        eta.on_change = source.estimates_changed  # a new ETA goes out as the shed's availability event
        bus.subscribe(eta.on_event, name="eta", kinds=(SocketStatusChanged, SocketRemoved, SocketStopChanged))
        bus.subscribe(source.on_event, name="stream")
        recheck = Recheck(hub, store_lookup(stores.state.engine))  # open streams stay authorised
        alarm_feed = AlarmFeed(
            stores.state.engine,
            hub,
            asyncio.get_running_loop(),
            community_of=live.community,
            poll_s=settings.stream_alarm_poll_s,
        )
        state = CloudState(
            settings,
            clock,
            stores,
            live,
            bus,
            worker,
            follower,
            alarms,
            stream=hub,
            metrics=metrics,
            availability=view,
            eta=eta,
            alarm_feed=alarm_feed,
            alarm_seed=seed,
            stream_recheck=recheck,
        )
        build = functools.partial(build_shed_detail, state)
        state.shed_views = ShedViews(build, live.shed_version, max_age_s=settings.shed_view_max_age_s)
        app.state.cloud = state
        tasks = [
            asyncio.create_task(_maintain(state)),
            asyncio.create_task(_follow_inventory(state)),
            asyncio.create_task(_ping_stream(state)),
            asyncio.create_task(recheck.run(settings.stream_recheck_s)),
            asyncio.create_task(alarm_config.follow(state)),
        ]
        if settings.commands or (settings.commands is None and settings.ingest):
            tasks.append(asyncio.create_task(_start_commands(state)))
        charging = None
        if settings.charging:  # sessions on authorised sheds; commands through state.commands
            charging = ChargingRuntime(settings, stores.state, clock, live, bus, sender=lambda: state.commands)
        app.state.charging = charging
        if alarms is not None:
            alarms.start()
        if worker is not None:
            worker.start()
        if follower is not None:
            follower.start(heads)
        eta.start()
        await asyncio.to_thread(alarm_feed.start)
        if charging is not None:
            charging.start()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if charging is not None:
                await asyncio.to_thread(charging.stop)
            if state.commands is not None:
                await asyncio.to_thread(state.commands.stop)
            if worker is not None:
                await asyncio.to_thread(worker.stop)
            if follower is not None:
                await asyncio.to_thread(follower.stop)
            await asyncio.to_thread(eta.stop)
            await asyncio.to_thread(alarm_feed.stop)
            if alarms is not None:
                await asyncio.to_thread(alarms.stop)
            stores.close()

    # No CDN: /docs is served from vendored files (cloud.api.routes.api_docs), /redoc is off.
    app = FastAPI(title="ShedWatch cloud", lifespan=lifespan, docs_url=None, redoc_url=None)
    metrics = ApiMetrics(lambda: getattr(app.state, "cloud", None))
    app.add_middleware(MeasureRequests, metrics=metrics)
    install_access_handlers(app)
    install_validation_handler(app)
    install_implied_errors(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(alarm_router)
    if settings.demo_drill_file is not None:  # only `shedwatch demo`'s cloud: nowhere else does the route exist
        app.include_router(demo_router)
    return app
