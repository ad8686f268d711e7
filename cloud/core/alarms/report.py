"""How often the service promise was kept: per ISO week (community time), per shed and per person.

A row counts incidents whose clock has ended (kept or broken; a running clock is left out), the share kept,
and the median and worst time in seconds. The person of the accept clock is who accepted (or nobody, for an
incident nobody accepted); of the on-site clock, who arrived; each by the name people know them by. An
incident resolved before a clock's deadline without its action ended that clock neither kept nor broken: it
is counted apart (``resolved_first``, in the week and shed rows; no person answered it) and has no time.
"""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cloud.core.alarms.clocks import ClockState, Promise, clocks
from cloud.core.alarms.incidents import Incident

NOBODY = "(nobody)"


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One group's figures for one clock ('ack' or 'onsite'); times in seconds (None: no finished time)."""

    by: str  # 'week' | 'shed' | 'person'
    group: str
    clock: str
    incidents: int
    kept: int
    median_s: float | None
    worst_s: float | None
    resolved_first: int = 0  # ended by resolution before the deadline without the action: neither kept nor broken

    @property
    def kept_ratio(self) -> float:
        """Share of incidents whose promise was kept (0..1)."""
        return self.kept / self.incidents if self.incidents else 0.0


def _week(ms: int, tz: str) -> str:
    year, week, _ = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(ZoneInfo(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def report(
    incidents: Iterable[Incident], now: int, promise: Promise | None = None, tz: str = "Asia/Shanghai"
) -> list[ReportRow]:
    """Rows for every week, shed and person, both clocks, sorted by (by, group, clock)."""
    promise = promise or Promise()
    groups: dict[tuple[str, str, str], list[tuple[bool, float]]] = {}
    apart: dict[tuple[str, str, str], int] = {}
    for inc in incidents:
        view = clocks(inc, now, promise)
        for clock, state, took, who in (
            ("ack", view.ack_state, view.ack_s, inc.acked_by_shown),
            ("onsite", view.onsite_state, view.onsite_s, inc.onsite_by_shown),
        ):
            week_shed = (("week", _week(inc.opened_ms, tz)), ("shed", inc.shed))
            if state is ClockState.RESOLVED:
                for by, group in week_shed:
                    apart[(by, group, clock)] = apart.get((by, group, clock), 0) + 1
                continue
            if state is ClockState.RUNNING:
                continue
            # A broken clock counts with its time to the action, else to the resolution, else so far (still
            # open): the worst case must show it, and a resolved incident's time no longer grows.
            end = now if inc.resolved_ms is None else min(now, inc.resolved_ms)
            elapsed = took if took is not None else (end - inc.clock_ms) / 1000
            for by, group in (*week_shed, ("person", who or NOBODY)):
                groups.setdefault((by, group, clock), []).append((state is ClockState.KEPT, elapsed))
    rows = []
    for by, group, clock in sorted(groups.keys() | apart.keys()):
        items = groups.get((by, group, clock), [])
        times = [t for _, t in items]
        rows.append(
            ReportRow(
                by=by,
                group=group,
                clock=clock,
                incidents=len(items),
                kept=sum(1 for k, _ in items if k),
                median_s=statistics.median(times) if times else None,
                worst_s=max(times) if times else None,
                resolved_first=apart.get((by, group, clock), 0),
            )
        )
    return rows
