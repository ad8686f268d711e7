"""Who is on duty when, in the community's time zone, and the escalation chain above them.

A shift covers weekdays (0 = Monday) from ``start`` to ``end`` local time; an ``end`` at or before ``start``
runs past midnight (22:00-06:00 belongs to the day it starts on). The chain is a list of roles, first paged
first: on-duty guard, then shift leader, then property manager by default.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_CHAIN = ("guard", "shift_leader", "property_manager")
ALL_DAYS = frozenset(range(7))


@dataclass(frozen=True, slots=True)
class Shift:
    """``person`` holds ``role`` on ``days`` from ``start`` to ``end`` (local time)."""

    role: str
    person: str
    start: time = time(0, 0)
    end: time = time(0, 0)  # equal to start: all day
    days: frozenset[int] = ALL_DAYS

    def covers(self, local: datetime) -> bool:
        """Whether the shift is on at ``local`` (an aware datetime in the rota's zone)."""
        t = local.time().replace(tzinfo=None)
        if self.start == self.end:
            return local.weekday() in self.days
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= t < self.end
        if t >= self.start:
            return local.weekday() in self.days
        return (local - timedelta(days=1)).weekday() in self.days and t < self.end


@dataclass(frozen=True, slots=True)
class Rota:
    """Shifts of one community, its zone (IANA name) and its escalation chain of roles."""

    shifts: tuple[Shift, ...] = ()
    tz: str = "Asia/Shanghai"
    chain: tuple[str, ...] = DEFAULT_CHAIN

    def local(self, now: int) -> datetime:
        """``now`` (UTC ms) in the community's zone."""
        return datetime.fromtimestamp(now / 1000, tz=UTC).astimezone(ZoneInfo(self.tz))

    def on_duty(self, role: str, now: int) -> list[str]:
        """People holding ``role`` at ``now``, in rota order, without repeats."""
        local = self.local(now)
        seen: list[str] = []
        for s in self.shifts:
            if s.role == role and s.covers(local) and s.person not in seen:
                seen.append(s.person)
        return seen

    def level(self, level: int, now: int) -> list[str]:
        """People at escalation ``level`` (0 = first); past the chain's end, its last role.

        A level nobody holds right now passes to the next one up, so a page never goes nowhere.
        """
        for lvl in range(min(level, len(self.chain) - 1), len(self.chain)):
            people = self.on_duty(self.chain[lvl], now)
            if people:
                return people
        return []
