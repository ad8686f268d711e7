"""One contract for every telemetry store: SQLite always; InfluxDB when SHEDWATCH_TEST_INFLUXDB_URL is set.

Set SHEDWATCH_TEST_INFLUXDB_URL, _TOKEN, _ORG and _BUCKET (an empty, dedicated bucket)
to run this suite against a real InfluxDB 2.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud.telemetry.base import Resolution, Sample, SeriesKey, TelemetryStore
from cloud.telemetry.sqlite import SqliteTelemetryStore
from protocol.uplink import TelemetryBatch, TelemetryPoint

pytestmark = pytest.mark.integration

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z, on an hour boundary
BACKENDS = ["sqlite"] + (["influxdb"] if os.environ.get("SHEDWATCH_TEST_INFLUXDB_URL") else [])


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TelemetryStore, str]]:
    # A fresh shed id per test keeps runs apart on a shared InfluxDB bucket.
    shed = f"shed-{uuid.uuid4().hex[:8]}"
    if request.param == "sqlite":
        s: TelemetryStore = SqliteTelemetryStore(tmp_path / "t.db")
    else:
        from cloud.telemetry.influx import InfluxTelemetryStore

        env = os.environ
        s = InfluxTelemetryStore(
            url=env["SHEDWATCH_TEST_INFLUXDB_URL"],
            token=env.get("SHEDWATCH_TEST_INFLUXDB_TOKEN", ""),
            org=env.get("SHEDWATCH_TEST_INFLUXDB_ORG", ""),
            bucket=env.get("SHEDWATCH_TEST_INFLUXDB_BUCKET", "shedwatch-test"),
        )
    yield s, shed
    s.close()


def batch(shed: str, seq: int, readings: list[tuple[int, float]], *, socket: int | None = 1) -> TelemetryBatch:
    points = [
        TelemetryPoint(ts=ts, device="post-1", socket=socket, fields={"power_w": v, "temp_c": 20.0})
        for ts, v in readings
    ]
    return TelemetryBatch(src=shed, seq=seq, ts=readings[-1][0], points=points)


def test_raw_reads_return_what_was_written_in_time_order(store: tuple[TelemetryStore, str]) -> None:
    s, shed = store
    s.write([batch(shed, 2, [(T0 + 2000, 3.0), (T0 + 3000, 4.0)]), batch(shed, 1, [(T0, 1.0), (T0 + 1000, 2.0)])])
    got = s.query(SeriesKey(shed, "post-1", "power_w", 1), T0, T0 + 10_000, Resolution.RAW)
    assert [(x.ts, x.mean) for x in got] == [(T0, 1.0), (T0 + 1000, 2.0), (T0 + 2000, 3.0), (T0 + 3000, 4.0)]
    # The range is half-open, and other fields, sockets and sheds stay apart.
    assert [x.ts for x in s.query(SeriesKey(shed, "post-1", "power_w", 1), T0 + 1000, T0 + 3000, Resolution.RAW)] == [
        T0 + 1000,
        T0 + 2000,
    ]
    assert s.query(SeriesKey(shed, "post-1", "power_w", 2), T0, T0 + 10_000, Resolution.RAW) == []
    assert s.query(SeriesKey(shed, "post-1", "energy_wh", 1), T0, T0 + 10_000, Resolution.RAW) == []
    assert s.query(SeriesKey("other", "post-1", "power_w", 1), T0, T0 + 10_000, Resolution.RAW) == []


def test_a_replayed_batch_is_stored_once(store: tuple[TelemetryStore, str]) -> None:
    s, shed = store
    b = batch(shed, 7, [(T0, 1.0), (T0 + 1000, 2.0)])
    s.write([b])
    s.write([b, b])
    got = s.query(SeriesKey(shed, "post-1", "power_w", 1), T0, T0 + 10_000, Resolution.RAW)
    assert len(got) == 2


def test_device_level_series_are_apart_from_socket_series(store: tuple[TelemetryStore, str]) -> None:
    s, shed = store
    s.write([batch(shed, 1, [(T0, 5.0)], socket=None), batch(shed, 2, [(T0, 6.0)], socket=1)])
    assert [x.mean for x in s.query(SeriesKey(shed, "post-1", "power_w"), T0, T0 + 1, Resolution.RAW)] == [5.0]
    assert [x.mean for x in s.query(SeriesKey(shed, "post-1", "power_w", 1), T0, T0 + 1, Resolution.RAW)] == [6.0]


def test_minute_and_hour_rollups_include_late_data(store: tuple[TelemetryStore, str]) -> None:
    s, shed = store
    # Two minutes of readings every 10 s: power 0..11.
    s.write([batch(shed, 1, [(T0 + i * 10_000, float(i)) for i in range(12)])])
    s.maintain(T0 + 3_600_000)
    key = SeriesKey(shed, "post-1", "power_w", 1)
    minutes = s.query(key, T0, T0 + 3_600_000, Resolution.MINUTE)
    assert minutes == [Sample(T0, 2.5, 0.0, 5.0, 6), Sample(T0 + 60_000, 8.5, 6.0, 11.0, 6)]
    # A late batch (an edge's outbox replayed after an outage) lands in the first minute.
    s.write([batch(shed, 2, [(T0 + 5_000, 100.0)])])
    s.maintain(T0 + 3_600_000)
    first = s.query(key, T0, T0 + 60_000, Resolution.MINUTE)[0]
    assert (first.count, first.max) == (7, 100.0)
    hours = s.query(key, T0, T0 + 3_600_000, Resolution.HOUR)
    assert len(hours) == 1
    assert (hours[0].ts, hours[0].count, hours[0].min, hours[0].max) == (T0, 13, 0.0, 100.0)
    assert hours[0].mean == pytest.approx((sum(range(12)) + 100.0) / 13)


def test_sqlite_retention_is_per_resolution(tmp_path: Path) -> None:
    s = SqliteTelemetryStore(tmp_path / "t.db", raw_retention_days=1, minute_retention_days=2, hour_retention_days=3)
    day = 86_400_000
    s.write([batch("shed-a", 1, [(T0, 1.0)])])
    key = SeriesKey("shed-a", "post-1", "power_w", 1)
    s.maintain(T0)  # arrival is marked by maintenance runs
    s.maintain(T0 + day // 2)
    assert all(len(s.query(key, T0, T0 + day, r)) == 1 for r in Resolution)
    s.maintain(T0 + day + day // 2)  # raw gone, rollups kept
    assert [len(s.query(key, T0, T0 + day, r)) for r in Resolution] == [0, 1, 1]
    s.maintain(T0 + 2 * day + day // 2)
    assert [len(s.query(key, T0, T0 + day, r)) for r in Resolution] == [0, 0, 1]
    s.maintain(T0 + 3 * day + day // 2)
    assert [len(s.query(key, T0, T0 + day, r)) for r in Resolution] == [0, 0, 0]
    s.close()


def test_sqlite_retention_counts_from_arrival_not_from_the_readings_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cloud started without the simulator's clock: readings a year old on arrival are kept, then removed, logged."""
    s = SqliteTelemetryStore(tmp_path / "t.db", raw_retention_days=7)
    day = 86_400_000
    now = T0 + 365 * day
    s.write([batch("shed-a", 1, [(T0, 1.0), (T0 + 1, 2.0)])])
    key = SeriesKey("shed-a", "post-1", "power_w", 1)
    s.maintain(now)
    s.maintain(now + 6 * day)
    assert len(s.query(key, T0, T0 + day, Resolution.RAW)) == 2, "never deleted on arrival"
    s.write([batch("shed-a", 1, [(T0, 1.0)])])
    assert len(s.query(key, T0, T0 + day, Resolution.RAW)) == 2, "a replay of kept data is still a duplicate"
    caplog.set_level("INFO", "cloud.telemetry.sqlite")
    s.maintain(now + 8 * day)
    assert len(s.query(key, T0, T0 + day, Resolution.RAW)) == 0
    assert any("retention removed 2 raw reading(s)" in r.getMessage() for r in caplog.records)
    s.close()
