"""What a decision asks the adapters to do: switch a relay, emit an event, answer a command."""

from dataclasses import dataclass

from protocol.uplink import AlarmCleared, AlarmRaised, CommandResult, DeviceStatusChanged, InterlockAction
from protocol.uplink import SocketStatusChanged as SocketStatusChanged

UplinkEvent = AlarmRaised | AlarmCleared | InterlockAction | SocketStatusChanged | DeviceStatusChanged


@dataclass(frozen=True, slots=True)
class Relay:
    """Publish a RelayCommand to a post at once; ``socket`` None is a post-level off (every socket of the post)."""

    device: str
    socket: int | None
    on: bool
    request_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Emit:
    """Send an event to the cloud; built with seq=0, the outbox stamps the real seq."""

    event: UplinkEvent


@dataclass(frozen=True, slots=True)
class Answer:
    """Send a CommandResult to the cloud (seq stamped by the outbox)."""

    result: CommandResult


@dataclass(frozen=True, slots=True)
class SaveConfig:
    """Persist a newly applied shed config (version bump)."""

    version: int


Action = Relay | Emit | Answer | SaveConfig
