"""One injectable clock, so a simulated day runs in minutes with consistent timestamps.

Every component asks a Clock for the time instead of calling time.time(). A
ScaledClock maps real elapsed time onto simulated time from a shared epoch:
processes given the same epoch and speed agree on 'now' to within scheduling noise.
"""

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Source of the current time in UTC epoch milliseconds."""

    def now_ms(self) -> int: ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """Real time."""

    speed = 1.0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ScaledClock:
    """Simulated time: starts at ``epoch_ms`` when real time was ``anchor_real_ms`` and runs ``speed`` times faster."""

    def __init__(self, *, speed: float, epoch_ms: int | None = None, anchor_real_ms: int | None = None) -> None:
        if not 0 < speed <= 10_000:
            raise ValueError(f"speed must be in (0, 10000], got {speed}")
        real_now = time.time_ns() // 1_000_000
        self.speed = speed
        self.anchor_real_ms = real_now if anchor_real_ms is None else anchor_real_ms
        self.epoch_ms = self.anchor_real_ms if epoch_ms is None else epoch_ms

    def now_ms(self) -> int:
        real = time.time_ns() // 1_000_000
        return self.epoch_ms + int((real - self.anchor_real_ms) * self.speed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)

    def spec(self) -> str:
        """The ``--clock`` value that makes another process agree with this clock."""
        return f"{self.speed:g},{self.epoch_ms},{self.anchor_real_ms}"


class ManualClock:
    """A clock that moves only when told to: for pure tests and stepped simulations."""

    speed = 1.0

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00Z
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self._now += int(seconds * 1000)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


def make_clock(speed: float = 1.0, epoch_ms: int | None = None, anchor_real_ms: int | None = None) -> Clock:
    """The system clock at speed 1 with no epoch; otherwise a ScaledClock."""
    if speed == 1.0 and epoch_ms is None:
        return SystemClock()
    return ScaledClock(speed=speed, epoch_ms=epoch_ms, anchor_real_ms=anchor_real_ms)


def clock_from_spec(spec: str | None) -> Clock:
    """Build a clock from a ``--clock`` value: empty/None/'real' for real time, or 'SPEED,EPOCH_MS,ANCHOR_MS'.

    Processes given the same spec agree on simulated time (see ScaledClock.spec()).
    """
    if not spec or spec == "real":
        return SystemClock()
    try:
        speed_s, epoch_s, anchor_s = spec.split(",")
        return ScaledClock(speed=float(speed_s), epoch_ms=int(epoch_s), anchor_real_ms=int(anchor_s))
    except ValueError as exc:
        raise ValueError(f"clock spec {spec!r}: expected 'real' or 'SPEED,EPOCH_MS,ANCHOR_MS' ({exc})") from None
