"""What the alarm lifecycle reacts to: the edge's (or a cloud rule's) raise and clear, staff actions, time.

Staff actions carry an ``Actor``: who, and from which device ('cli', 'link', a phone id): the audit trail
records both, as GB 25201 asks of every step of a fire-alarm record.
"""

from dataclasses import dataclass

from cloud.core.alarms.model import AlarmKey, Origin
from protocol.uplink import AlarmClass


@dataclass(frozen=True, slots=True)
class Actor:
    """A person and the device they acted from."""

    who: str
    device: str = "cli"


@dataclass(frozen=True, slots=True)
class Raise:
    """The condition is active (edge AlarmRaised or a cloud rule); a re-raise of an open alarm updates it."""

    key: AlarmKey
    alarm_class: AlarmClass
    message: str = ""
    value: float | None = None
    threshold: float | None = None
    origin: Origin = Origin.EDGE


@dataclass(frozen=True, slots=True)
class Clear:
    """The condition returned to normal."""

    key: AlarmKey


@dataclass(frozen=True, slots=True)
class Acknowledge:
    """Someone has seen it (ISA-18.2 acknowledge); also silences."""

    actor: Actor


@dataclass(frozen=True, slots=True)
class Silence:
    """Stop the sound only; the alarm stays unacknowledged."""

    actor: Actor


@dataclass(frozen=True, slots=True)
class Shelve:
    """Hide the alarm for ``duration_ms`` (at most the policy's maximum); never for fire or pre-fire."""

    actor: Actor
    duration_ms: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Unshelve:
    """End a shelve early."""

    actor: Actor


@dataclass(frozen=True, slots=True)
class Suppress:
    """Maintenance on (``on``) or off for the alarm's source (ISA-18.2 'suppressed by design')."""

    actor: Actor
    on: bool


@dataclass(frozen=True, slots=True)
class OutOfService:
    """Take the alarm out of service (``on``) or return it."""

    actor: Actor
    on: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Assign:
    """Make ``assignee`` responsible."""

    actor: Actor
    assignee: str


@dataclass(frozen=True, slots=True)
class Comment:
    """A note on the alarm."""

    actor: Actor
    text: str


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: shelves expire."""


StaffAction = Acknowledge | Silence | Shelve | Unshelve | Suppress | OutOfService | Assign | Comment
AlarmInput = Raise | Clear | StaffAction | Tick
