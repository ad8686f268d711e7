"""bench.ingest --quick runs end to end and prints one JSON line with every key the issue names."""

import subprocess
import sys

import orjson
import pytest

from tests.integration.cloud.conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KEYS = {
    "ceiling_msgs_per_s",
    "ingest_msgs_per_s",
    "ratio_small",
    "ingest_cpu_us_per_msg",
    "store_ceiling_points_per_s",
    "ingest_points_per_s",
    "ratio_batch",
    "two_workers_points_per_s",
    "lost",
    "duplicated",
    "load_avg",  # [at start, at end]: how busy the machine was
}


def test_bench_ingest_quick_prints_json_and_loses_nothing() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--quick"], cwd=REPO, capture_output=True, text=True, timeout=240
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = orjson.loads(out.stdout.strip().splitlines()[-1])
    assert set(result) == KEYS
    assert (result["lost"], result["duplicated"]) == (0, 0)
    assert all(result[k] > 0 for k in KEYS - {"lost", "duplicated", "load_avg"})
    assert len(result["load_avg"]) == 2
