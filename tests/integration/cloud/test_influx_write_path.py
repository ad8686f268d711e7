"""The InfluxDB store's write path against a real server that speaks /api/v2/write (VictoriaMetrics).

No InfluxDB 2 server is installable here; the Flux reads run in the contract suite
only when SHEDWATCH_TEST_INFLUXDB_URL points at a real one (see docs/storage.md).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud.errors import StoreError
from cloud.telemetry.influx import InfluxTelemetryStore
from tests.integration.cloud.helpers import telemetry
from tests.integration.cloud.victoria import Victoria

pytestmark = pytest.mark.integration


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[Victoria]:
    vm = Victoria(tmp_path / "vm").start()
    yield vm
    vm.stop()


def _samples(vm: Victoria) -> int:
    return sum(len(s["values"]) for s in vm.export())  # type: ignore[arg-type]


def test_batches_are_confirmed_written_and_replays_collapse(victoria: Victoria) -> None:
    store = InfluxTelemetryStore(url=victoria.url, token="t", org="o", bucket="b", batch_size=500)
    batches = [telemetry("shed-a", seq, points=200) for seq in range(1, 11)]
    assert store.write(batches) == 10  # returns only once the server confirmed every line
    assert _samples(victoria) == 10 * 200 * 2  # 2 fields per point, one series per field in VictoriaMetrics
    store.write(batches[:3])  # a replay after a crash
    assert _samples(victoria) == 10 * 200 * 2
    series = victoria.export('{__name__="telemetry_power_w",socket="3"}')
    assert series and series[0]["metric"] == {
        "__name__": "telemetry_power_w",
        "shed": "shed-a",
        "device": "post-1",
        "socket": "3",
    }
    store.close()


def test_server_down_raises_after_retries_then_recovers(victoria: Victoria) -> None:
    store = InfluxTelemetryStore(
        url=victoria.url, token="t", org="o", bucket="b", max_retries=2, retry_interval_ms=100, timeout_s=10
    )
    victoria.stop()
    with pytest.raises(StoreError):
        store.write([telemetry("shed-a", 1, points=5)])
    victoria.start()
    store.write([telemetry("shed-a", 1, points=5)])  # the ingest worker retries the same batch
    assert _samples(victoria) == 10
    store.close()
