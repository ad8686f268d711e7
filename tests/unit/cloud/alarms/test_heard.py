"""What ingest keeps for the device-silent and post-over-limit rules: scenarios/heard.toml, then properties."""

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.core.alarms.heard import ShedHeard, observe, over_since_ms, seen_ms
from protocol.uplink import TelemetryPoint

CASES = tomllib.loads((Path(__file__).parent / "scenarios" / "heard.toml").read_text())["case"]
LIMIT = 8700.0
T0 = 1_767_225_600_000


def point(device: str, socket: int, ts_s: float, watts: float) -> TelemetryPoint:
    field = "total_power_w" if socket == 0 else "power_w"
    return TelemetryPoint(ts=T0 + int(ts_s * 1000), device=device, socket=socket or None, fields={field: watts})


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_heard_case(case: dict[str, Any]) -> None:
    heard = ShedHeard()
    for step in case["steps"]:
        observe(heard, [point(*r) for r in step["readings"]], step["at"] * 1000, LIMIT)
    runs = {p: r.over_since for p, r in heard.posts.items() if r.over_since is not None}
    assert runs == {p: s * 1000 for p, s in case["over_since"].items()}
    last = case["steps"][-1]
    assert all(heard.devices[r[0]] == last["at"] * 1000 for r in last["readings"])


def test_silence_counts_from_the_later_of_last_heard_and_the_grace_start() -> None:
    heard = ShedHeard()
    observe(heard, [point("post-1", 0, 1, 10.0)], 5_000, LIMIT)
    now, mono = T0 + 100_000, 50_000
    # heard at mono 5 s: 45 s ago; never heard: counted from the grace start (mono 20 s): 30 s ago
    assert seen_ms(heard, ["post-1", "env-1"], now, mono, 0) == {"post-1": now - 45_000, "env-1": now - 50_000}
    assert seen_ms(heard, ["post-1", "env-1"], now, mono, 20_000) == {"post-1": now - 30_000, "env-1": now - 30_000}


def test_a_post_not_heard_lately_is_not_called_over_its_limit() -> None:
    heard = ShedHeard()
    observe(heard, [point("post-1", 0, 1, 9000.0)], 5_000, LIMIT)
    assert over_since_ms(heard, T0, 10_000, fresh_ms=180_000) == {"post-1": T0 - 5_000}
    assert over_since_ms(heard, T0, 185_000, fresh_ms=180_000) == {}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 20_000), min_size=1, max_size=40))
def test_a_run_is_open_exactly_when_the_newest_reading_is_over_and_began_after_the_last_one_not(
    watts: list[float],
) -> None:
    heard = ShedHeard()
    for i, w in enumerate(watts):
        observe(heard, [point("post-1", 0, i, w)], i * 1000, LIMIT)
    run = heard.posts["post-1"]
    below = [i for i, w in enumerate(watts) if w <= LIMIT]
    if watts[-1] <= LIMIT:
        assert run.over_since is None
    else:
        assert run.over_since == ((below[-1] + 1) * 1000 if below else 0)
