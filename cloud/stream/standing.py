"""Whether an open stream may go on for the account it was opened for (pure; docs/api.md, "Live stream").

A stream is an ongoing read: it is scoped once, when it opens, by the principal its credential carried. When
the account behind it is disabled or gone, or its role or communities differ from that principal (its scope
could have widened or narrowed), the stream must end; the client logs in again and opens a new one.
"""

from dataclasses import dataclass
from typing import Literal

from cloud.core.access.roles import Principal

# Why a stream was ended for its credential: the ``reason`` of its final ``auth`` event.
EndReason = Literal["expired", "disabled", "changed"]
END_REASONS: tuple[EndReason, ...] = ("expired", "disabled", "changed")


@dataclass(frozen=True, slots=True)
class Ended:
    """The end-of-stream mark put in a client's queue when its credential no longer holds."""

    reason: EndReason


def standing(opened: Principal, now: Principal | None) -> EndReason | None:
    """None while the account still is what ``opened`` says; else why the stream ends. ``now`` is the account's
    current principal, None when it is disabled, removed or can no longer log in."""
    if now is None:
        return "disabled"
    if now != opened:
        return "changed"
    return None
