"""Typed dependencies of the routes (as the FastAPI full-stack template's api/deps.py): no route reaches into
``request.app.state`` itself."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from cloud.alarms.config import AlarmConfig
from cloud.alarms.runner import AlarmRunner
from cloud.api.live import LiveView
from cloud.bus.follower import FeedFollower
from cloud.bus.local import Bus
from cloud.commands.sender import CommandSender
from cloud.ingest.worker import IngestWorker
from cloud.runtime import Stores
from cloud.settings import CloudSettings
from cloud.state.store import StateStore
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
    # The alarm TOML as read at start (the seed API-edited documents override) and the command sender (None
    # when commands are off in this process or its broker has not accepted it yet).
    alarm_seed: AlarmConfig = field(default_factory=AlarmConfig)
    commands: CommandSender | None = None


def get_cloud(request: Request) -> CloudState:
    """The running app's state (set by the lifespan before the first request)."""
    cloud = request.app.state.cloud
    assert isinstance(cloud, CloudState)
    return cloud


CloudDep = Annotated[CloudState, Depends(get_cloud)]


def get_live(cloud: CloudDep) -> LiveView:
    """This process's live state."""
    return cloud.live


def get_state_store(cloud: CloudDep) -> StateStore:
    """The relational state store."""
    return cloud.stores.state


def get_telemetry(cloud: CloudDep) -> TelemetryStore:
    """The telemetry store."""
    return cloud.stores.telemetry


def get_clock(cloud: CloudDep) -> Clock:
    """The process clock (simulated in demos and tests)."""
    return cloud.clock


LiveDep = Annotated[LiveView, Depends(get_live)]
StateStoreDep = Annotated[StateStore, Depends(get_state_store)]
TelemetryDep = Annotated[TelemetryStore, Depends(get_telemetry)]
ClockDep = Annotated[Clock, Depends(get_clock)]
