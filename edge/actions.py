"""What a decision asks the adapters to do: switch a relay, emit an event, answer a command, store a session."""

from dataclasses import dataclass
from typing import Any

from protocol.uplink import AnyEvent, CommandResult
from protocol.uplink import SocketStatusChanged as SocketStatusChanged

UplinkEvent = AnyEvent


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


@dataclass(frozen=True, slots=True)
class SaveSession:
    """Store a charging session's record (``active`` False: it ended) with the events of the same decision.

    The adapter writes it in the same transaction as those events, so a session and what the cloud is told
    about it never part (a SIGKILL keeps both or neither).
    """

    session: str
    active: bool
    record: dict[str, Any]


Action = Relay | Emit | Answer | SaveConfig | SaveSession
