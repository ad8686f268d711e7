"""The telemetry store interface every backend implements (and the contract tests check)."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from cloud.core.rows import BatchLike


class Resolution(StrEnum):
    """Raw readings, or minute / hour rollups."""

    RAW = "raw"
    MINUTE = "minute"
    HOUR = "hour"


BUCKET_MS = {Resolution.RAW: 0, Resolution.MINUTE: 60_000, Resolution.HOUR: 3_600_000}


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """One series: a field of one device (and socket) in one shed."""

    shed: str
    device: str
    field: str
    socket: int | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """One value at ``ts``: a raw reading (count 1) or a rollup bucket starting at ``ts``."""

    ts: int
    mean: float
    min: float
    max: float
    count: int


class TelemetryStore(Protocol):
    """Durable, idempotent storage of edge telemetry batches."""

    def write(self, batches: Sequence[BatchLike]) -> int:
        """Store the batches durably; return how many were new (a repeated (src, seq) is ignored)."""
        ...

    def query(self, key: SeriesKey, start_ms: int, end_ms: int, resolution: Resolution) -> list[Sample]:
        """Samples of one series in [start_ms, end_ms), oldest first."""
        ...

    def maintain(self, now_ms: int) -> None:
        """Bring rollups up to date and drop data past each resolution's retention."""
        ...

    def close(self) -> None:
        """Flush and release everything."""
        ...
