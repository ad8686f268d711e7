"""Chattering damped: an alarm that raises and clears again and again is held active instead of paging each time.

EEMUA 191 / ISA-18.2 call an alarm chattering when it raises 3 or more times in a minute. Once a key is
chattering its Clear is delayed (an off-delay): it passes only when the key has stayed clear for
``off_delay_ms``, so staff see one standing alarm instead of a flood of raise/clear pairs. A Raise always
passes at once: damping never delays bad news.
"""

from dataclasses import dataclass, replace

from cloud.core.alarms.inputs import Clear, Raise
from cloud.core.alarms.model import AlarmKey


@dataclass(frozen=True, slots=True)
class ChatterPolicy:
    """Chattering: ``raises`` within ``window_ms``; then clears wait ``off_delay_ms``."""

    raises: int = 3
    window_ms: int = 60_000
    off_delay_ms: int = 60_000


@dataclass(frozen=True, slots=True)
class Damper:
    """One key's recent raise times and a held Clear (the time it was seen), if any."""

    key: AlarmKey
    raises_ms: tuple[int, ...] = ()
    held_clear_ms: int | None = None

    def chattering(self, now: int, policy: ChatterPolicy) -> bool:
        """Raised ``policy.raises`` times within the window ending at ``now``."""
        return sum(1 for t in self.raises_ms if now - policy.window_ms < t <= now) >= policy.raises


def damp(
    damper: Damper, inp: Raise | Clear | None, now: int, policy: ChatterPolicy = ChatterPolicy()
) -> tuple[Damper, Raise | Clear | None, bool]:
    """Filter one input (None = a tick). Returns (damper, what passes or None, whether the key is chattering)."""
    recent = tuple(t for t in damper.raises_ms if now - policy.window_ms < t <= now)
    damper = replace(damper, raises_ms=recent)
    if isinstance(inp, Raise):
        damper = Damper(damper.key, (*recent, now)[-policy.raises * 4 :], None)
        return damper, inp, damper.chattering(now, policy)
    chattering = damper.chattering(now, policy)
    if isinstance(inp, Clear):
        if chattering:
            return replace(damper, held_clear_ms=now), None, True
        return replace(damper, held_clear_ms=None), inp, False
    if damper.held_clear_ms is not None and now - damper.held_clear_ms >= policy.off_delay_ms:
        return replace(damper, held_clear_ms=None), Clear(damper.key), chattering
    return damper, None, chattering
