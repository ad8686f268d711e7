"""How often the service promise was kept: per ISO week (community time), per shed and per person.

A row counts incidents whose clock has ended (kept or broken; a running clock is left out), the share kept,
and the median and worst time in seconds. The person of the accept clock is who accepted (or nobody, for an
incident nobody accepted); of the on-site clock, who arrived.
"""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cloud.core.alarms.clocks import Promise, clocks
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
    groups: dict[tuple[str, str, str], list[tuple[bool, float | None]]] = {}
    for inc in incidents:
        view = clocks(inc, now, promise)
        for clock, kept, took, who in (
            ("ack", view.ack_kept, view.ack_s, inc.acked_by),
            ("onsite", view.onsite_kept, view.onsite_s, inc.onsite_by),
        ):
            if kept is None:
                continue
            # A broken clock still running counts as broken with its time so far: the worst case must show it.
            elapsed = took if took is not None else (now - inc.clock_ms) / 1000
            for by, group in (("week", _week(inc.opened_ms, tz)), ("shed", inc.shed), ("person", who or NOBODY)):
                groups.setdefault((by, group, clock), []).append((kept, elapsed))
    rows = []
    for (by, group, clock), items in sorted(groups.items()):
        times = [t for _, t in items if t is not None]
        rows.append(
            ReportRow(
                by=by,
                group=group,
                clock=clock,
                incidents=len(items),
                kept=sum(1 for k, _ in items if k),
                median_s=statistics.median(times) if times else None,
                worst_s=max(times) if times else None,
            )
        )
    return rows
