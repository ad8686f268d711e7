"""bench.api --quick serves the API in its own process, loads it from another and prints the issue's keys."""

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("availability_rps", "availability_p99_ms", "live_rps", "live_p99_ms", "stream_p99_ms")


def test_bench_api_quick_prints_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.api", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    ).stdout
    result = orjson.loads(out.strip().splitlines()[-1])
    for key in KEYS:
        assert isinstance(result[key], int | float) and result[key] > 0, key
    assert result["sockets"] == 500 and result["availability_errors"] == 0 and result["live_errors"] == 0
    # The loader's own ceiling, measured in the same run against a trivial server of the same body size.
    assert result["loader_ceiling_rps"] > 0 and result["availability_body_bytes"] > 1000
    # Every one of the 50 quick clients got every one of the 5 changes, and none was dropped.
    assert (result["stream_clients"], result["stream_missing"], result["stream_disconnected"]) == (50, 0, 0)
