"""A protocol.clock.Clock the test sets: wall and monotonic time advance together, and the wall clock may step."""

from dataclasses import dataclass

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z


@dataclass
class ManualClock:
    """``wall``: UTC epoch ms; ``mono``: the monotonic ms (any origin)."""

    wall: int = T0
    mono: int = 5_000

    def now_ms(self) -> int:
        return self.wall

    def mono_ms(self) -> int:
        return self.mono

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - nothing here sleeps
        raise NotImplementedError

    def advance(self, ms: int) -> None:
        """Time passes: both clocks move on by ``ms``."""
        self.wall += ms
        self.mono += ms
