"""create_app(settings): the FastAPI app; stores, ingest and background jobs live in its lifespan."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from cloud.api.live import LiveView
from cloud.api.routes import router
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
        worker = make_worker(settings, stores, clock, on_commit=live.apply) if settings.ingest else None
        state = AppState(settings, clock, stores, live, worker)
        app.state.cloud = state
        tasks = [asyncio.create_task(_maintain(state))]
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
            stores.close()

    app = FastAPI(title="ShedWatch cloud", lifespan=lifespan)
    app.include_router(router)
    return app
