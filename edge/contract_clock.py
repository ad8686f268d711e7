"""The edge's clock as its messages need it: any wall reading becomes a stamp the contract accepts.

The agent reads every wall time through this wrapper (relay commands, keep-alives, heartbeats, births,
telemetry batches, audit rows). A clock before 1970 or past 2**53 - 1 ms is clamped into the contract's
range, so nothing the edge sends is refused for its ``ts``; the decisions mark such events clock_suspect
(any clamped time lies outside 2020..2100). The monotonic clock, which judges every duration, is untouched.
"""

from protocol.clock import Clock, within_contract


class ContractClock:
    """Wraps a Clock: ``now_ms`` clamped into 0 .. 2**53 - 1, ``mono_ms`` and ``sleep`` as they are."""

    def __init__(self, inner: Clock) -> None:
        self.inner = inner
        self.speed = float(getattr(inner, "speed", 1.0))

    def now_ms(self) -> int:
        return within_contract(self.inner.now_ms())

    def raw_now_ms(self) -> int:
        """The wall clock as read, for logs that must show what it really says."""
        return self.inner.now_ms()

    def mono_ms(self) -> int:
        return self.inner.mono_ms()

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
