"""create_app(settings): the FastAPI app; stores, ingest and background jobs live in its lifespan."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from cloud.alarms.config import load_alarm_config
from cloud.alarms.runner import AlarmRunner, link_secret
from cloud.api.alarm_routes import router as alarm_router
from cloud.api.live import LiveView
from cloud.api.routes import router
from cloud.ingest.batch import Batch
from cloud.ingest.worker import IngestWorker
from cloud.runtime import Stores, make_worker, open_stores
from cloud.settings import CloudSettings
from protocol.clock import Clock, clock_from_spec

log = logging.getLogger(__name__)
MAINTAIN_EVERY_S = 60.0


@dataclass
class AppState:
    """Everything the routes need, created by the lifespan."""

    settings: CloudSettings
    clock: Clock
    stores: Stores
    live: LiveView
    worker: IngestWorker | None
    alarms: AlarmRunner | None = None


async def _poll_live(state: AppState) -> None:
    # With ingest in other processes, the store is the only channel: re-read it.
    while True:
        await asyncio.sleep(state.settings.live_poll_s)
        try:
            live = await asyncio.to_thread(state.stores.state.load_live)
            communities = await asyncio.to_thread(state.stores.state.communities)
            state.live.replace(live, communities)
        except Exception:
            log.exception("live-state poll failed; keeping the last state")


async def _maintain(state: AppState) -> None:
    while True:
        try:
            await asyncio.to_thread(state.stores.telemetry.maintain, state.clock.now_ms())
        except Exception:
            log.exception("telemetry maintenance failed; retrying later")
        await asyncio.sleep(MAINTAIN_EVERY_S)


def create_app(settings: CloudSettings) -> FastAPI:
    """The cloud API; nothing is opened until the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Open stores, rebuild live state, start ingest and jobs; undo it all on shutdown."""
        clock = clock_from_spec(settings.clock)
        stores = await asyncio.to_thread(open_stores, settings)
        live = LiveView(stores.state.load_live(), stores.state.communities())
        alarms = None
        if settings.alarms:
            alarms = AlarmRunner(
                stores.state,
                clock,
                config=load_alarm_config(settings.alarm_config),
                secret=link_secret(settings.link_secret, settings.data_dir),
                tick_s=settings.alarm_tick_s,
            )

        def on_commit(batch: Batch) -> None:
            live.apply(batch)
            if alarms is not None and batch.events:
                alarms.wake()

        worker = make_worker(settings, stores, clock, on_commit=on_commit) if settings.ingest else None
        state = AppState(settings, clock, stores, live, worker, alarms)
        app.state.cloud = state
        tasks = [asyncio.create_task(_maintain(state))]
        if alarms is not None:
            alarms.start()
        if worker is not None:
            worker.start()
        else:
            tasks.append(asyncio.create_task(_poll_live(state)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if worker is not None:
                await asyncio.to_thread(worker.stop)
            if alarms is not None:
                await asyncio.to_thread(alarms.stop)
            stores.close()

    app = FastAPI(title="ShedWatch cloud", lifespan=lifespan)
    app.include_router(router)
    app.include_router(alarm_router)
    return app
