"""Telemetry in InfluxDB 2 through influxdb-client: the batching write API with retries, Flux reads.

The batching write API returns before data is written, and its flush() does
nothing, so write() counts the lines the success callback confirms and returns
only once everything it submitted is confirmed (or raises StoreError when the
client gave up after its retries). Only then may ingest acknowledge the messages.
A point's series and timestamp identify it, so a replayed batch overwrites itself:
the store is idempotent without a seen table (it cannot tell how many were new).
Rollups are computed at query time with aggregateWindow; retention is the bucket's.
"""

import threading
from collections.abc import Sequence
from typing import Any

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import WriteOptions, WriteType
from influxdb_client.domain.write_precision import WritePrecision

from cloud.core.rows import BatchLike
from cloud.errors import StoreError
from cloud.telemetry.base import BUCKET_MS, Resolution, Sample, SeriesKey

MEASUREMENT = "telemetry"


def _escape_tag(value: str) -> str:
    # Ids never hold spaces, commas or '=' (protocol.ids), but escape anyway: one bad tag breaks a whole batch.
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def to_lines(batch: BatchLike) -> list[str]:
    """Line protocol (ms precision) for one batch: one line per point."""
    lines = []
    for p in batch.points:
        tags = f"{MEASUREMENT},shed={_escape_tag(batch.src)},device={_escape_tag(p.device)}"
        if p.socket is not None:
            tags += f",socket={p.socket}"
        fields = ",".join(f"{k}={float(v)!r}" for k, v in p.fields.items())
        lines.append(f"{tags} {fields} {p.ts}")
    return lines


def _flux_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class InfluxTelemetryStore:
    """TelemetryStore on an InfluxDB 2 bucket."""

    def __init__(
        self,
        *,
        url: str,
        token: str,
        org: str,
        bucket: str,
        batch_size: int = 5_000,
        flush_interval_ms: int = 100,
        max_retries: int = 5,
        retry_interval_ms: int = 1_000,
        timeout_s: float = 60.0,
    ) -> None:
        self.bucket = bucket
        self.org = org
        self.timeout_s = timeout_s
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=30_000)
        self._cond = threading.Condition()
        self._submitted = 0
        self._confirmed = 0
        self._failed: BaseException | None = None
        self._write_api = self._client.write_api(
            write_options=WriteOptions(
                write_type=WriteType.batching,
                batch_size=batch_size,
                flush_interval=flush_interval_ms,
                max_retries=max_retries,
                retry_interval=retry_interval_ms,
                max_retry_delay=10_000,
                max_retry_time=int(timeout_s * 1000),
            ),
            success_callback=self._on_success,
            error_callback=self._on_error,
        )

    def _on_success(self, _conf: Any, data: str | bytes) -> None:
        with self._cond:
            self._confirmed += _lines(data)
            self._cond.notify_all()

    def _on_error(self, _conf: Any, data: str | bytes, exc: BaseException) -> None:
        with self._cond:
            self._confirmed += _lines(data)
            self._failed = exc
            self._cond.notify_all()

    def write(self, batches: Sequence[BatchLike]) -> int:
        """Submit every point and wait until InfluxDB confirmed all of them."""
        lines = [line for b in batches for line in to_lines(b)]
        if not lines:
            return 0
        with self._cond:
            self._failed = None
            target = self._submitted + len(lines)
            self._submitted = target
        precision: Any = WritePrecision.MS  # a str constant the library's hints call WritePrecision
        self._write_api.write(bucket=self.bucket, org=self.org, record=lines, write_precision=precision)
        with self._cond:
            done = self._cond.wait_for(lambda: self._confirmed >= target, self.timeout_s)
            failed = self._failed
        if failed is not None:
            raise StoreError(f"influxdb write failed after retries: {failed}")
        if not done:
            raise StoreError(f"influxdb write not confirmed within {self.timeout_s}s")
        return len(batches)

    def _flux(self, key: SeriesKey, start_ms: int, end_ms: int) -> str:
        socket = f' and r.socket == "{key.socket}"' if key.socket is not None else " and not exists r.socket"
        return (
            f"from(bucket: {_flux_string(self.bucket)})"
            f" |> range(start: time(v: {start_ms * 1_000_000}), stop: time(v: {end_ms * 1_000_000}))"
            f' |> filter(fn: (r) => r._measurement == "{MEASUREMENT}" and r.shed == {_flux_string(key.shed)}'
            f" and r.device == {_flux_string(key.device)}{socket} and r._field == {_flux_string(key.field)})"
        )

    def query(self, key: SeriesKey, start_ms: int, end_ms: int, resolution: Resolution) -> list[Sample]:
        """Raw points, or mean/min/max/count per window (aggregateWindow, windows labelled by their start)."""
        base = self._flux(key, start_ms, end_ms)
        api = self._client.query_api()
        if resolution is Resolution.RAW:
            tables = api.query(
                base + ' |> keep(columns: ["_time", "_value"]) |> sort(columns: ["_time"])', org=self.org
            )
            out = []
            for table in tables:
                for rec in table.records:
                    v = float(rec.get_value())
                    out.append(Sample(_ms(rec.get_time()), v, v, v, 1))
            return sorted(out, key=lambda s: s.ts)
        every = f"{BUCKET_MS[resolution]}ms"
        parts: dict[str, dict[int, float]] = {}
        for fn in ("mean", "min", "max", "count"):
            flux = base + f' |> aggregateWindow(every: {every}, fn: {fn}, createEmpty: false, timeSrc: "_start")'
            parts[fn] = {
                _ms(rec.get_time()): float(rec.get_value()) for t in api.query(flux, org=self.org) for rec in t.records
            }
        return [
            Sample(ts, parts["mean"][ts], parts["min"][ts], parts["max"][ts], int(parts["count"][ts]))
            for ts in sorted(parts["count"])
            if ts in parts["mean"]
        ]

    def maintain(self, now_ms: int) -> None:
        """Nothing to do: the bucket's retention drops old data, rollups are computed when read."""

    def close(self) -> None:
        """Flush the batching buffer and close the client."""
        self._write_api.close()
        self._client.close()


def _lines(data: str | bytes) -> int:
    return (data.count(b"\n") if isinstance(data, bytes) else data.count("\n")) + 1


def _ms(t: Any) -> int:
    ms: int = round(t.timestamp() * 1000)
    return ms
