"""Judging device readings against their plausible ranges (protocol.plausible).

The wire accepts any finite number (protocol.device); here each field is judged against the
physical range of the sensor that produced it, so a bad value condemns only what it describes:
one socket or one sensor field, never the rest of the message. Pure functions, no state.
"""

from dataclasses import dataclass

from protocol.device import EnvironmentReading, ExtinguisherStatus, SocketReading
from protocol.plausible import ENVIRONMENT_RANGES, EXTINGUISHER_RANGES, SENTINEL_FIELDS, SENTINELS, SOCKET_RANGES, Range


@dataclass(frozen=True, slots=True)
class Bad:
    """One field that cannot be believed: its name, the value and why."""

    field: str
    value: float
    why: str

    def describe(self) -> str:
        """Like ``temp_c=-127: DS18B20 disconnected``."""
        return f"{self.field}={self.value:g}: {self.why}"


def judge(values: dict[str, float], ranges: dict[str, Range]) -> list[Bad]:
    """The fields of ``values`` outside their plausible range or equal to a sentinel (empty when all are fine)."""
    bad: list[Bad] = []
    for name, rng in ranges.items():
        value = values[name]
        sentinel = SENTINELS.get(value) if name in SENTINEL_FIELDS else None
        if sentinel is not None:
            bad.append(Bad(name, value, sentinel))
        elif not rng.low <= value <= rng.high:
            bad.append(Bad(name, value, f"outside {rng.low:g}..{rng.high:g} {rng.unit}"))
    return bad


def judge_socket(r: SocketReading) -> list[Bad]:
    """Implausible fields of one socket reading."""
    return judge({name: getattr(r, name) for name in SOCKET_RANGES}, SOCKET_RANGES)


def judge_environment(r: EnvironmentReading) -> list[Bad]:
    """Implausible fields of one smoke / heat / off-gas reading."""
    return judge({name: getattr(r, name) for name in ENVIRONMENT_RANGES}, ENVIRONMENT_RANGES)


def judge_extinguisher(r: ExtinguisherStatus) -> list[Bad]:
    """Implausible fields of one extinguisher status."""
    return judge({name: getattr(r, name) for name in EXTINGUISHER_RANGES}, EXTINGUISHER_RANGES)
