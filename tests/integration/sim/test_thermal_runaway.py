"""The shipped thermal-runaway drill on a real mosquitto: off-gas, heat >= 1 degC/s, smoke, discharge, in order."""

import itertools
from pathlib import Path
from typing import Any

import pytest

from protocol.device import EnvironmentReading, ExtinguisherStatus, PostTelemetry
from protocol.topics import device_filter
from shedwatch.mosquitto import Mosquitto
from simulators.truth import read_truth
from tests.integration.sim.helpers import Collector, start_sim, stop_sim

pytestmark = pytest.mark.integration


def first_index(msgs: list[Any], pred: Any) -> int:
    return next(i for i, m in enumerate(msgs) if pred(m))


def test_runaway_sequence_arrives_in_order_with_the_right_timing(mosquitto: Mosquitto, tmp_path: Path) -> None:
    truth = tmp_path / "truth.jsonl"
    col = Collector(mosquitto.port, device_filter("shed-a"))
    # Simulated time pinned to an evening (18:00 in Beijing): the shed's ambient air follows the hour of day, so a
    # drill started at whatever the wall clock reads would heat differently from run to run.
    evening = "60,1772445600000,now"
    proc = start_sim(
        "run", "thermal-runaway-drill", "--clock", evening, "--broker", mosquitto.url, "--truth", str(truth)
    )
    try:
        col.wait_for(lambda _t, m: isinstance(m, ExtinguisherStatus) and m.discharged, timeout=60)
    finally:
        code, err = stop_sim(proc)
        col.close()
    assert code == 0, err
    assert not col.errors
    msgs = [m for _, m in col.snapshot()]
    fault = next(r for r in read_truth(truth, "fault") if r["fault"] == "thermal_runaway")
    t0 = fault["ts"]

    i_gas = first_index(msgs, lambda m: isinstance(m, EnvironmentReading) and m.h2_ppm >= 100 and m.ts >= t0)
    tel = [(i, m) for i, m in enumerate(msgs) if isinstance(m, PostTelemetry) and m.src == "post-1" and m.ts >= t0]
    i_heat = None
    for k in range(3, len(tel)):
        window = tel[k - 3 : k + 1]
        rates = [
            (b.sockets[2].temp_c - a.sockets[2].temp_c) / ((b.ts - a.ts) / 1000)
            for (_, a), (_, b) in itertools.pairwise(window)
        ]
        if all(r >= 1.0 for r in rates):  # >= 1 degC/s held for 3 s
            i_heat = window[0][0]
            break
    assert i_heat is not None, "no heat rise of >= 1 degC/s for 3 s"
    i_smoke = first_index(msgs, lambda m: isinstance(m, EnvironmentReading) and m.smoke_alarm)
    i_dis = first_index(msgs, lambda m: isinstance(m, ExtinguisherStatus) and m.discharged)
    # Arrival order on the broker ...
    assert i_gas < i_heat < i_smoke < i_dis
    # ... and simulated timing (ts): minutes of off-gas warning, then heat, smoke and discharge within a minute.
    gas_ts, heat_ts, smoke_ts, dis_ts = (msgs[i].ts for i in (i_gas, i_heat, i_smoke, i_dis))
    assert 60_000 <= gas_ts - t0 <= 180_000
    assert heat_ts - t0 >= 300_000
    assert 0 < smoke_ts - heat_ts <= 60_000
    assert 0 < dis_ts - smoke_ts <= 60_000
    assert msgs[i_dis].src == "ext-1"  # the one over post-1's rack
    # Each device's sequence numbers arrived contiguous from 0.
    for src in ("post-1", "env-1", "ext-1"):
        seqs = [m.seq for m in msgs if m.src == src]
        assert seqs == list(range(len(seqs))), src
