"""Which stream gaps to announce as domain events (pure).

The delivery tracker (cloud.delivery) asks an edge again for missing seqs, every few
seconds while they stay missing, and finally gives them up as lost. Subscribers want to
hear of each range once when it is first asked for and once when it is given up, not
at every retry: this remembers what was told per shed.
"""

from collections.abc import Iterable

from cloud.core.events import GapDetected

Range = tuple[int, int]  # first, last (inclusive)


class GapAnnouncer:
    """Per shed, the (first, last, lost) ranges already announced."""

    def __init__(self) -> None:
        self._told: dict[str, set[tuple[int, int, bool]]] = {}

    def already_lost(self, shed: str, lost: Iterable[Range]) -> None:
        """Ranges given up before this process started (read back at start): not news."""
        self._told.setdefault(shed, set()).update((a, b, True) for a, b in lost)

    def announce(self, shed: str, resend: Iterable[Range], lost: Iterable[Range], *, now_ms: int) -> list[GapDetected]:
        """GapDetected for each range not told yet: asked again (``lost`` False), then given up (True).

        ``now_ms``: the cloud's clock, which found the gap (it is both ``ts`` and ``received_at``).
        """
        told = self._told.setdefault(shed, set())
        out: list[GapDetected] = []
        for ranges, is_lost in ((resend, False), (lost, True)):
            for a, b in ranges:
                if (a, b, is_lost) in told:
                    continue
                told.add((a, b, is_lost))
                out.append(GapDetected(shed=shed, seq=b, ts=now_ms, received_at=now_ms, first=a, last=b, lost=is_lost))
        return out
