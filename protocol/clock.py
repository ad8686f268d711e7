"""One injectable clock, so a simulated day runs in minutes with consistent timestamps.

Every component asks a Clock for the time instead of calling time.time(). A
ScaledClock maps real elapsed time onto simulated time from a shared epoch:
processes given the same epoch and speed agree on 'now' to within scheduling noise.
"""

import asyncio
import time
from typing import Protocol

from protocol.envelope import EPOCH_MS_MAX, EPOCH_MS_MIN

# Wall times outside 2020-01-01 .. 2100-01-01 UTC are a clock that has not synced (a Raspberry Pi has no
# real-time clock and boots in 1970 or at its last saved time), a counter wrap, or seconds sent as ms.
PLAUSIBLE_FROM_MS = 1_577_836_800_000
PLAUSIBLE_UNTIL_MS = 4_102_444_800_000


def within_contract(epoch_ms: int) -> int:
    """The wall time clamped into the contract's ``ts`` range (0 .. 2**53 - 1).

    A clock before 1970 or past the contract's end still stamps a valid message (marked clock_suspect by
    whoever sends it): a relay-off stamped -1 would be refused by the post it must switch off.
    """
    return min(max(epoch_ms, EPOCH_MS_MIN), EPOCH_MS_MAX)


def plausible(epoch_ms: int) -> bool:
    """True when a wall time (UTC epoch ms) lies in 2020-01-01 .. 2100-01-01, where a synced clock reads."""
    return PLAUSIBLE_FROM_MS <= epoch_ms <= PLAUSIBLE_UNTIL_MS


class Clock(Protocol):
    """Source of the current time: ``now_ms`` is UTC epoch ms (may step), ``mono_ms`` never goes back.

    Durations (timers, rates, staleness) are measured on ``mono_ms`` only; ``now_ms`` only stamps
    messages, because a wall clock can read 1970 at boot and step by years when NTP syncs.
    """

    def now_ms(self) -> int: ...

    def mono_ms(self) -> int:
        """Milliseconds on a clock that never steps (arbitrary origin, this process only)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """Real time."""

    speed = 1.0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def mono_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000

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
        # the monotonic clock starts where the scaled wall clock is now and runs at the same speed
        self._mono_origin_ms = self.now_ms()
        self._mono0_ns = time.monotonic_ns()

    def now_ms(self) -> int:
        real = time.time_ns() // 1_000_000
        return self.epoch_ms + int((real - self.anchor_real_ms) * self.speed)

    def mono_ms(self) -> int:
        return self._mono_origin_ms + int((time.monotonic_ns() - self._mono0_ns) * self.speed) // 1_000_000

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
        self._wall_offset_ms = 0

    def now_ms(self) -> int:
        return self._now + self._wall_offset_ms

    def mono_ms(self) -> int:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward (both clocks)."""
        self._now += int(seconds * 1000)

    def step_wall(self, seconds: float) -> None:
        """Step the wall clock only (as NTP or an operator does); the monotonic clock does not move."""
        self._wall_offset_ms += int(seconds * 1000)

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

    The clock reads EPOCH_MS (UTC epoch ms) at the real instant ANCHOR_MS (UTC epoch ms) and runs SPEED times
    real time from there; ANCHOR_MS may be ``now`` (this process's start). Processes given the same literal
    spec agree on simulated time (see ScaledClock.spec()). Raises ValueError naming the spec when malformed.
    """
    if not spec or spec == "real":
        return SystemClock()
    try:
        speed_s, epoch_s, anchor_s = spec.split(",")
        anchor = None if anchor_s.strip().lower() == "now" else int(anchor_s)
        return ScaledClock(speed=float(speed_s), epoch_ms=int(epoch_s), anchor_real_ms=anchor)
    except ValueError as exc:
        raise ValueError(f"clock spec {spec!r}: expected 'real' or 'SPEED,EPOCH_MS,ANCHOR_MS|now' ({exc})") from None
