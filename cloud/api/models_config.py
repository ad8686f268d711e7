"""Models of the configuration routes: community settings, rota, alert channels, inventory import, thresholds."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cloud.alarms.config import Person, ShiftConfig
from cloud.alarms.config_docs import CommunitySettings
from cloud.auth.accounts import MAX_COMMUNITY_NAME
from protocol.config import ShedConfig, Thresholds
from protocol.shedfile import CameraLink


class CommunityIn(CommunitySettings):
    """A community's display name, zone, service promise and inspection rhythm."""

    name: Annotated[str, Field(max_length=MAX_COMMUNITY_NAME)] = ""


class CommunityOut(CommunityIn):
    """As in force; ``version``: of the API-saved document (0: from the alarm file or defaults)."""

    community: str
    version: int


class RotaOut(BaseModel):
    """The chain and shifts in force; ``version`` as for the community."""

    community: str
    version: int
    chain: list[str]
    shift: list[ShiftConfig]


class ChannelsOut(BaseModel):
    """The community's people and their alert targets; ``version`` as for the community (0: the people of the
    alarm file its shifts name)."""

    community: str
    version: int
    person: list[Person]


class InventoryIn(BaseModel):
    """A shed file as JSON: its ``shed`` table and optional ``cameras`` (never an ``agent`` table: the edge's
    credentials stay on the edge)."""

    model_config = ConfigDict(extra="forbid")

    shed: dict[str, object]
    cameras: list[dict[str, object]] = []


class InventoryOut(BaseModel):
    """The imported shed and the config version the cloud now holds (unchanged content keeps the version)."""

    shed: str
    community: str
    version: int
    cameras: int


class ShedConfigOut(BaseModel):
    """The newest config the cloud holds for a shed, its camera links, and the version the edge reports running."""

    config: ShedConfig
    cameras: list[CameraLink]
    reported_config_version: int


class ThresholdsOut(BaseModel):
    """The new config version holding these thresholds (push it with a ``push_config`` command)."""

    shed: str
    version: int
    thresholds: Thresholds
