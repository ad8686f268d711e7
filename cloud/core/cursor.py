"""Per-shed read positions in the event feed: every event once, in per-shed order (pure)."""

from collections.abc import Iterable, Mapping
from typing import TypeVar

from cloud.core.events import DomainEvent

E = TypeVar("E", bound=DomainEvent)


class Cursor:
    """The last feed position seen per shed.

    ``admit`` says whether an event is the next one for its shed. A subscriber that both
    listens live and catches up from the store admits each event once; an event that
    skips ahead (its predecessor not yet read) is refused, so the caller reads the store.
    """

    def __init__(self, positions: Mapping[str, int] | None = None) -> None:
        self.positions: dict[str, int] = dict(positions or {})

    def admit(self, event: DomainEvent) -> bool:
        """True (and advance) when ``event`` is its shed's next position; False for old or early ones."""
        last = self.positions.get(event.shed, 0)
        if event.position != last + 1:
            return False
        self.positions[event.shed] = event.position
        return True

    def behind(self, heads: Mapping[str, int]) -> dict[str, int]:
        """Sheds whose stored head is past this cursor: {shed: last position seen}."""
        return {shed: self.positions.get(shed, 0) for shed, head in heads.items() if head > self.positions.get(shed, 0)}

    def admit_all(self, events: Iterable[E]) -> list[E]:
        """The events admitted, in the order given."""
        return [e for e in events if self.admit(e)]
