"""Telemetry as the stores take it: anything shaped like a TelemetryBatch (the pydantic model or the fast path's)."""

from collections.abc import Sequence
from typing import Protocol


class PointLike(Protocol):
    """One reading."""

    @property
    def ts(self) -> int: ...
    @property
    def device(self) -> str: ...
    @property
    def socket(self) -> int | None: ...
    @property
    def fields(self) -> dict[str, float]: ...


class BatchLike(Protocol):
    """One validated edge telemetry batch; (src, seq) identifies it."""

    @property
    def src(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def ts(self) -> int: ...
    @property
    def points(self) -> Sequence[PointLike]: ...
