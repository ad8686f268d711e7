"""bench.commands runs end to end over real brokers and an edge process and prints its JSON; nothing is lost."""

import subprocess
import sys

import orjson
import pytest

from tests.integration.cloud.conftest import REPO

pytestmark = pytest.mark.integration


def test_bench_commands_prints_json_and_every_command_is_answered() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.commands", "--count", "20"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = orjson.loads(out.stdout.strip().splitlines()[-1])
    assert result["commands"] == 20 and result["lost"] == 0
    assert 0 < result["command_p50_ms"] <= result["command_p99_ms"] <= result["command_max_ms"]
    assert result["edge_answer_p50_ms"] > 0 and result["cloud_store_p50_ms"] > 0
