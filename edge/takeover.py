"""Telling a taken-over cloud session apart from an ordinary disconnect, and backing off from it.

Two agents connecting with one client id take the session from each other in a loop: the
broker ends the older connection, each reconnects at once, and both flap forever while the
cloud sees births and deaths from two agents under one name. A broker may say so with
DISCONNECT reason 0x8E "Session taken over" (OASIS MQTT 5.0, section 3.14.2.1); many
(mosquitto 2.0.11 among them) just close the socket, so a connection lost again and again
within ``quick_s`` of being made counts as taken over too. This module decides, per
takeover, how long to wait before reconnecting (doubling up to a cap, reset after a
connection that stayed up) and whether the trouble alarm is to be raised or cleared.

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
    quick_s: float = 10.0  # a connection lost sooner than this after it was made is suspicious
    quick_losses_needed: int = 2  # that many suspicious losses in a row count as a takeover
    quick_losses: int = 0
    takeovers: int = 0  # in the current episode
    total: int = 0
    alarm_active: bool = False
    connected_since: float | None = None

    def on_connect(self, now: float) -> None:
        """The session is ours again."""
        self.connected_since = now

    def on_lost(self, now: float, *, taken_over: bool) -> tuple[float, bool] | None:
        """The connection was lost (``taken_over``: the broker said 0x8E).

        Returns (seconds to wait before reconnecting, raise the alarm now) when this counts as a
        takeover, None for an ordinary loss (reconnect as usual).
        """
        self._settle(now)
        quick = self.connected_since is not None and now - self.connected_since < self.quick_s
        self.quick_losses = self.quick_losses + 1 if quick else 0
        if taken_over or self.quick_losses >= self.quick_losses_needed:
            return self.on_takeover(now)
        self.connected_since = None
        return None

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
            self.quick_losses = 0
            return True
        return False
