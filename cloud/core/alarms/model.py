"""An alarm as the cloud keeps it: identity, class, severity and its ISA-18.2 / OPC UA Part 9 state.

State names follow ISA-18.2 (ANSI/ISA-18.2-2016, section 5 "alarm states"); the OPC UA Part 9 equivalents
are the two-state variables ActiveState and AckedState plus ShelvingState, SuppressedState and
OutOfServiceState. Silence (the horn) is separate from acknowledge, as in ISA-18.2's "silence" operator action.
"""

from dataclasses import dataclass
from enum import StrEnum

from protocol.uplink import AlarmClass


class Lifecycle(StrEnum):
    """ISA-18.2 alarm states (OPC UA: ActiveState x AckedState)."""

    NORMAL = "normal"  # inactive and acknowledged: the alarm is closed
    UNACK = "unack"  # active, unacknowledged
    ACKED = "acked"  # active, acknowledged
    RTN_UNACK = "rtn_unack"  # returned to normal, not yet acknowledged


# OPC UA Part 9 severity (1..1000) per class: the higher, the more urgent.
SEVERITY: dict[AlarmClass, int] = {
    AlarmClass.FIRE: 1000,
    AlarmClass.PRE_FIRE: 900,
    AlarmClass.SUPERVISORY: 700,
    AlarmClass.TROUBLE: 500,
    AlarmClass.OPERATIONAL: 300,
    AlarmClass.SERVICE: 100,
}

# Classes that protect life: never shelved, never suppressed, never taken out of service.
LIFE_SAFETY: frozenset[AlarmClass] = frozenset({AlarmClass.FIRE, AlarmClass.PRE_FIRE})


class Origin(StrEnum):
    """Who raised an alarm: the edge (its AlarmRaised events) or a cloud rule. The cloud clears only its own:
    an edge alarm stands until the edge clears it, even when a cloud rule watches a condition of the same type."""

    EDGE = "edge"
    CLOUD = "cloud"


def rank(alarm_class: AlarmClass) -> int:
    """Urgency of a class, 0 = most urgent (fire)."""
    return list(AlarmClass).index(alarm_class)


@dataclass(frozen=True, slots=True, order=True)
class AlarmKey:
    """One alarm condition: shed, source device ('' for the shed or its edge), socket (0 = none), type.

    ISA-18.2 "one alarm per condition": at most one alarm instance per key is open at a time.
    """

    shed: str
    device: str
    socket: int
    alarm_type: str

    def __str__(self) -> str:
        return f"{self.shed}/{self.device or '-'}/{self.socket}/{self.alarm_type}"

    @classmethod
    def parse(cls, text: str) -> "AlarmKey":
        """The inverse of ``str()``; raises ValueError on a malformed key."""
        parts = text.split("/")
        if len(parts) != 4 or not parts[0] or not parts[3]:
            raise ValueError(f"alarm key {text!r}: expected SHED/DEVICE/SOCKET/TYPE")
        return cls(parts[0], "" if parts[1] == "-" else parts[1], int(parts[2]), parts[3])

    @property
    def socket_level(self) -> bool:
        """The condition concerns one socket (what inhibition folds into a shed's fire incident)."""
        return self.socket > 0


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm instance. Times are UTC epoch ms; ``instance`` counts openings of the same key."""

    key: AlarmKey
    alarm_class: AlarmClass
    state: Lifecycle
    raised_ms: int
    instance: int = 1
    message: str = ""
    value: float | None = None
    threshold: float | None = None
    raise_count: int = 1  # re-raises while open update this one alarm
    cleared_ms: int | None = None
    acked_ms: int | None = None
    acked_by: str | None = None
    silenced: bool = False
    shelved_until_ms: int | None = None
    shelved_by: str | None = None
    suppressed: bool = False
    out_of_service: bool = False
    assignee: str | None = None
    origin: Origin = Origin.EDGE

    @property
    def severity(self) -> int:
        """OPC UA severity, 1..1000."""
        return SEVERITY[self.alarm_class]

    @property
    def active(self) -> bool:
        """The condition is present (ISA-18.2 'active')."""
        return self.state in (Lifecycle.UNACK, Lifecycle.ACKED)

    @property
    def open(self) -> bool:
        """Not yet back to NORMAL: the one instance its key may have."""
        return self.state is not Lifecycle.NORMAL

    def shelved(self, now: int) -> bool:
        """Shelved at ``now`` (a shelve ends at its expiry even before a tick notices)."""
        return self.shelved_until_ms is not None and now < self.shelved_until_ms

    def annunciated(self, now: int) -> bool:
        """Shown and sounded: open, unacknowledged or active, and neither shelved, suppressed nor out of service."""
        return self.open and not (self.shelved(now) or self.suppressed or self.out_of_service)
