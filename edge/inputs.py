"""What a decision reacts to: device messages, cloud commands and the passing of time."""

from dataclasses import dataclass

from protocol.commands import Command
from protocol.device import (
    EnvironmentReading,
    ExtinguisherStatus,
    PostHeartbeat,
    PostTelemetry,
    RelayResult,
)


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: check timers (staleness, float, relay confirmation, silence)."""


@dataclass(frozen=True, slots=True)
class CommandIn:
    """A validated cloud command."""

    command: Command


@dataclass(frozen=True, slots=True)
class StoredUnreadable:
    """At start: this many stored latch/stop records could not be read (the agent held every socket stopped)."""

    records: int


Input = (
    PostTelemetry
    | PostHeartbeat
    | RelayResult
    | ExtinguisherStatus
    | EnvironmentReading
    | Tick
    | CommandIn
    | StoredUnreadable
)
