"""The SQLite telemetry rollup goes a window of raw rows per transaction, so ingest writes get in between.

Rolled up in windows of a few rows, the minute and hour buckets equal those of one big window (a bucket split
across windows is recomputed whole), and a write from another thread lands between two windows.
"""

import threading
from pathlib import Path

import pytest

from cloud.telemetry import sqlite as sqlite_store
from cloud.telemetry.base import Resolution, SeriesKey
from cloud.telemetry.sqlite import SqliteTelemetryStore
from protocol.uplink import TelemetryBatch, TelemetryPoint

T0 = 1_767_225_600_000


def _batch(seq: int, shed: str = "shed-a") -> TelemetryBatch:
    # every batch: 2 sockets, readings 20 s apart, so minute buckets span several batches (and windows)
    points = [
        TelemetryPoint(ts=T0 + seq * 20_000 + s, device="post-1", socket=s, fields={"power_w": float(seq * 10 + s)})
        for s in (1, 2)
    ]
    return TelemetryBatch(src=shed, seq=seq, ts=T0 + seq * 20_000, points=points)


def _rollups(store: SqliteTelemetryStore) -> list[object]:
    out: list[object] = []
    for socket in (1, 2):
        key = SeriesKey("shed-a", "post-1", "power_w", socket)
        for res in (Resolution.MINUTE, Resolution.HOUR):
            out += store.query(key, T0, T0 + 10 * 3_600_000, res)
    return out


def test_rollup_in_small_windows_equals_one_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = SqliteTelemetryStore(tmp_path / "whole.db")
    windows = SqliteTelemetryStore(tmp_path / "windows.db")
    try:
        for seq in range(1, 200):  # 398 rows, about 66 minutes
            whole.write([_batch(seq)])
            windows.write([_batch(seq)])
        whole.maintain(T0)
        monkeypatch.setattr(sqlite_store, "ROLLUP_ROWS", 7)
        windows.maintain(T0)
        assert _rollups(windows) == _rollups(whole)
        assert len(_rollups(whole)) > 60  # minutes and hours of both sockets
        # late rows land in buckets already rolled: the next run recomputes them, in windows too
        for seq in range(200, 230):
            whole.write([_batch(seq)])
            windows.write([_batch(seq)])
        whole.maintain(T0)
        windows.maintain(T0)
        assert _rollups(windows) == _rollups(whole)
    finally:
        whole.close()
        windows.close()


def test_a_write_gets_in_between_two_rollup_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteTelemetryStore(tmp_path / "t.db")
    monkeypatch.setattr(sqlite_store, "ROLLUP_ROWS", 10)
    original = store._roll_up
    written = threading.Event()
    windows = 0

    def roll_up(top: int, rows: int) -> bool:
        nonlocal windows
        windows += 1
        more = original(top, rows)
        if windows == 1:
            # another thread (ingest) writes while the rollup is between its first and second window
            def write() -> None:
                store.write([_batch(999, "shed-b")])
                written.set()

            writer = threading.Thread(target=write)
            writer.start()
            assert written.wait(10), "the write waited for the whole rollup"
            writer.join()
        return more

    store._roll_up = roll_up  # type: ignore[method-assign]
    try:
        for seq in range(1, 50):
            store.write([_batch(seq)])
        store.maintain(T0)
        assert windows >= 10  # 98 rows in windows of 10
        assert store.query(SeriesKey("shed-b", "post-1", "power_w", 1), T0, T0 + 10**9, Resolution.RAW)
    finally:
        store.close()
