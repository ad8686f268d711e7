"""bench.protocol runs and ends with its one JSON line holding the keys the issue names."""

import subprocess
import sys
from pathlib import Path

import orjson

from bench.common import percentile

ROOT = Path(__file__).resolve().parents[2]


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert percentile(list(map(float, range(101))), 99) == 99.0


def test_bench_protocol_quick_prints_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.protocol", "--quick"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    result = orjson.loads(out.strip().splitlines()[-1])
    assert result["points"] == 100
    assert result["encode_ms"] > 0 and result["decode_ms"] > 0
