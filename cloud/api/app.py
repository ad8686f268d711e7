"""create_app(settings): the FastAPI app; stores, ingest and background jobs live in its lifespan."""

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cloud.alarms.config import load_alarm_config
from cloud.alarms.runner import AlarmRunner, link_secret
from cloud.api.alarm_routes import router as alarm_router
from cloud.api.deps import CloudState
from cloud.api.live import LiveView
from cloud.api.principal import install_access_handlers
from cloud.api.routes import api_router
from cloud.bus.follower import FeedFollower
from cloud.bus.local import Bus
from cloud.bus.publish import Committed
from cloud.core.events import EdgeAlarmCleared, EdgeAlarmRaised
from cloud.runtime import make_worker, open_stores
from cloud.settings import CloudSettings
from protocol.clock import clock_from_spec

log = logging.getLogger(__name__)
MAINTAIN_EVERY_S = 60.0
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
        worker = make_worker(settings, stores, clock, committed=committed) if settings.ingest else None
        # With ingest in other processes, the store's event feed is the channel.
        follower = None if worker else FeedFollower(stores.state, committed, poll_s=settings.live_poll_s)
        alarms = None
        if settings.alarms:
            alarms = AlarmRunner(
                stores.state,
                clock,
                config=load_alarm_config(settings.alarm_config),
                secret=link_secret(settings.link_secret, settings.data_dir),
                tick_s=settings.alarm_tick_s,
            )
            # The bus says an edge alarm was stored: the alarm service reads it from the store at once.
            bus.subscribe(alarms.wake, name="alarms", kinds=(EdgeAlarmRaised, EdgeAlarmCleared))
        state = CloudState(settings, clock, stores, live, bus, worker, follower, alarms)
        app.state.cloud = state
        tasks = [asyncio.create_task(_maintain(state)), asyncio.create_task(_follow_inventory(state))]
        if alarms is not None:
            alarms.start()
        if worker is not None:
            worker.start()
        if follower is not None:
            follower.start(heads)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if worker is not None:
                await asyncio.to_thread(worker.stop)
            if follower is not None:
                await asyncio.to_thread(follower.stop)
            if alarms is not None:
                await asyncio.to_thread(alarms.stop)
            stores.close()

    app = FastAPI(title="ShedWatch cloud", lifespan=lifespan)
    install_access_handlers(app)
    app.include_router(api_router)
    app.include_router(alarm_router)
    return app
