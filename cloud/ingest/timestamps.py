"""Flagging stream messages whose own time is far from when they arrived (pure).

A Raspberry Pi without a real-time clock boots in 1970 (or at its last saved time) until NTP syncs;
devices send local time (UTC+8) labelled as UTC; a simulator runs its own clock. Such data is
stored like any other, and retention counts from arrival, so nothing is deleted on arrival: it is
only counted here (``/healthz`` → ``ingest.flagged``) so an operator sees the clock to fix.
"""

from typing import Literal

FAR_FUTURE_MS = 10 * 60_000  # more than NTP-synced clocks ever drift; catches UTC+8 labelled as UTC
FAR_PAST_MS = 24 * 3_600_000  # older than a day on arrival: a backlog after a long outage, or a wrong clock

Flag = Literal["ts_far_past", "ts_far_future"]


def flag(ts_ms: int, received_ms: int) -> Flag | None:
    """``ts_far_future`` / ``ts_far_past`` when a message's time (epoch ms) is that far from its arrival."""
    if ts_ms > received_ms + FAR_FUTURE_MS:
        return "ts_far_future"
    if ts_ms < received_ms - FAR_PAST_MS:
        return "ts_far_past"
    return None
