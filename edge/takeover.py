"""Telling a taken-over cloud session apart from an ordinary disconnect, and backing off from it.

Two agents connecting with one client id take the session from each other in a loop: the
broker ends the older connection with DISCONNECT reason 0x8E "Session taken over" (OASIS
MQTT 5.0, section 3.14.2.1), each reconnects at once, and both flap forever while the
cloud sees births and deaths from two sheds' worth of data under one name. This module
decides, per takeover, how long to wait before reconnecting (doubling up to a cap, reset
after a connection that stayed up) and whether the trouble alarm is to be raised or cleared.

Pure: the caller passes monotonic seconds.
"""

from dataclasses import dataclass

SESSION_TAKEN_OVER = 0x8E


@dataclass(slots=True)
class TakeoverGuard:
    """State of one client id's takeovers; times are monotonic seconds."""

    first_backoff_s: float = 5.0
    max_backoff_s: float = 300.0
    stable_s: float = 60.0  # a connection that lasted this long ends the episode
    takeovers: int = 0  # in the current episode
    total: int = 0
    alarm_active: bool = False
    connected_since: float | None = None

    def on_connect(self, now: float) -> None:
        """The session is ours again."""
        self.connected_since = now

    def on_takeover(self, now: float) -> tuple[float, bool]:
        """Another client took the session: (seconds to wait before reconnecting, raise the alarm now)."""
        self._settle(now)
        self.connected_since = None
        self.takeovers += 1
        self.total += 1
        backoff = min(self.max_backoff_s, self.first_backoff_s * 2 ** (self.takeovers - 1))
        raise_alarm = not self.alarm_active
        self.alarm_active = True
        return backoff, raise_alarm

    def clear_due(self, now: float) -> bool:
        """True once when the alarm is active and the connection has stayed up ``stable_s``."""
        if self._settle(now) and self.alarm_active:
            self.alarm_active = False
            return True
        return False

    def _settle(self, now: float) -> bool:
        if self.connected_since is not None and now - self.connected_since >= self.stable_s:
            self.takeovers = 0
            return True
        return False
