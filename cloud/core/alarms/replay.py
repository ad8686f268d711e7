"""An alarm instance's ISA-18.2 state after each of its audit lines, from the lines alone.

The audit (``alarm_audit``) keeps what changed an alarm, not the state it left; a reader of the audit as a change
feed (the live stream) needs the state after each line, not the alarm's state now. Every instance's first line
is ``raised``, so folding an instance's actions in order from there gives each line's state exactly. The actions
and their effect on the state are those of lifecycle.py ``decide``: only ``raised`` / ``returned`` (active,
unacknowledged), ``cleared`` and ``acknowledged`` move the state; the rest (comment, assign, shelve, silence,
suppress, service) leave it.
"""

from collections.abc import Iterable

from cloud.core.alarms.model import Lifecycle

_CLEARED = {Lifecycle.UNACK: Lifecycle.RTN_UNACK, Lifecycle.ACKED: Lifecycle.NORMAL}
_ACKNOWLEDGED = {Lifecycle.UNACK: Lifecycle.ACKED, Lifecycle.RTN_UNACK: Lifecycle.NORMAL}


def state_after(before: Lifecycle | None, action: str) -> Lifecycle | None:
    """The state after ``action`` from ``before`` (None: before the instance's first line; stays None until a
    ``raised`` line, as a reader that missed it cannot know the state)."""
    if action in ("raised", "returned"):
        return Lifecycle.UNACK
    if before is None:
        return None
    if action == "cleared":
        return _CLEARED.get(before, before)
    if action == "acknowledged":
        return _ACKNOWLEDGED.get(before, before)
    return before


def states(actions: Iterable[str]) -> list[Lifecycle | None]:
    """The state after each of an instance's actions, in order."""
    out: list[Lifecycle | None] = []
    state: Lifecycle | None = None
    for action in actions:
        state = state_after(state, action)
        out.append(state)
    return out
