"""Typed dependencies of the routes (as the FastAPI full-stack template's api/deps.py): no route reaches into
``request.app.state`` itself."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from cloud.alarms.config import AlarmConfig
from cloud.alarms.runner import AlarmRunner
from cloud.api.availability_view import AvailabilityView
from cloud.api.live import LiveView
from cloud.api.metrics import ApiMetrics
from cloud.api.shed_views import ShedViews
from cloud.bus.follower import FeedFollower
from cloud.bus.local import Bus
from cloud.commands.sender import CommandSender
from cloud.eta.service import EtaService
from cloud.ingest.worker import IngestWorker
from cloud.runtime import Stores
from cloud.settings import CloudSettings
from cloud.state.store import StateStore
from cloud.stream.alarm_feed import AlarmFeed
from cloud.stream.hub import Hub
from cloud.stream.recheck import Recheck
from cloud.telemetry.base import TelemetryStore
from protocol.clock import Clock


@dataclass
class CloudState:
    """Everything the routes need, created by the app's lifespan."""

    settings: CloudSettings
    clock: Clock
    stores: Stores
    live: LiveView
    bus: Bus
    worker: IngestWorker | None
    follower: FeedFollower | None
    alarms: AlarmRunner | None = None
    stream: Hub | None = None  # the live stream's fan-out (GET /api/v1/stream)
    metrics: ApiMetrics | None = None  # GET /metrics
    availability: AvailabilityView | None = None  # GET /api/v1/availability and the stream's availability
    eta: EtaService | None = None  # the free-socket ETA of full sheds
    shed_views: ShedViews | None = None  # GET /api/v1/sheds/{shed}: built views kept while fresh
    alarm_feed: AlarmFeed | None = None  # the stream's cloud alarm and incident changes
    stream_recheck: Recheck | None = None  # re-reads the accounts behind open streams
    # The alarm TOML as read at start (the seed API-edited documents override) and the command sender (None
    # when commands are off in this process or its broker has not accepted it yet).
    alarm_seed: AlarmConfig = field(default_factory=AlarmConfig)
    commands: CommandSender | None = None


def cloud_of(request: Request) -> CloudState:
    """The running app's state (set by the lifespan before the first request)."""
    cloud = request.app.state.cloud
    assert isinstance(cloud, CloudState)
    return cloud


# The dependencies are ``async`` although they await nothing: FastAPI runs a plain ``def`` dependency in its
# thread pool, and that hop on every request was the largest single cost of the public availability route.
async def get_cloud(request: Request) -> CloudState:
    """Dependency form of ``cloud_of``."""
    return cloud_of(request)


CloudDep = Annotated[CloudState, Depends(get_cloud)]


async def get_live(cloud: CloudDep) -> LiveView:
    """This process's live state."""
    return cloud.live


async def get_state_store(cloud: CloudDep) -> StateStore:
    """The relational state store."""
    return cloud.stores.state


async def get_telemetry(cloud: CloudDep) -> TelemetryStore:
    """The telemetry store."""
    return cloud.stores.telemetry


async def get_clock(cloud: CloudDep) -> Clock:
    """The process clock (simulated in demos and tests)."""
    return cloud.clock


LiveDep = Annotated[LiveView, Depends(get_live)]
StateStoreDep = Annotated[StateStore, Depends(get_state_store)]
TelemetryDep = Annotated[TelemetryStore, Depends(get_telemetry)]
ClockDep = Annotated[Clock, Depends(get_clock)]
