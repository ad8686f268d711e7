"""The SQLite store rolls up from a snapshot read outside its write lock: rows that arrive meanwhile are neither
lost nor counted twice, and ingest can write while the aggregation runs."""

import threading
from pathlib import Path

from cloud.telemetry.base import Resolution, SeriesKey
from cloud.telemetry.sqlite import SqliteTelemetryStore
from tests.integration.cloud.helpers import T0, telemetry

KEY = SeriesKey("shed-a", "post-1", "power_w", 1)


class WritesDuringAggregation(SqliteTelemetryStore):
    """Stores more readings of the same minute after the roll-up took its snapshot (as ingest would)."""

    late: list[int] = []
    wrote_while_aggregating = False

    def _aggregate_touched(self, minute: int) -> tuple[int, int, list[tuple[int, str, int, int, float, float, float]]]:
        got = super()._aggregate_touched(minute)
        # A write from another thread must not wait for maintenance to finish (before, the lock was held).
        writer = threading.Thread(target=self.write, args=([telemetry("shed-a", s) for s in self.late],))
        writer.start()
        writer.join(timeout=20)
        self.wrote_while_aggregating = not writer.is_alive()
        return got


def test_rows_stored_during_a_rollup_are_counted_by_the_next_one(tmp_path: Path) -> None:
    store = WritesDuringAggregation(tmp_path / "t.db")
    store.late = [21, 22, 23]  # seconds 21-23 of the same first minute
    store.write([telemetry("shed-a", seq) for seq in range(1, 21)])
    store.maintain(T0 + 3_600_000)
    assert store.wrote_while_aggregating
    first = store.query(KEY, T0, T0 + 60_000, Resolution.MINUTE)
    assert [m.count for m in first] == [20]  # the snapshot's rows; the late three wait for the next run
    store.late = []
    store.maintain(T0 + 3_600_000)
    again = store.query(KEY, T0, T0 + 60_000, Resolution.MINUTE)
    assert [m.count for m in again] == [23]  # the bucket recomputed whole: nothing lost, nothing twice
    assert [h.count for h in store.query(KEY, T0, T0 + 3_600_000, Resolution.HOUR)] == [23]
    store.maintain(T0 + 3_600_000)  # nothing new: unchanged
    assert [m.count for m in store.query(KEY, T0, T0 + 60_000, Resolution.MINUTE)] == [23]
    store.close()
