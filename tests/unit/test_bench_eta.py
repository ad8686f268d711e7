"""bench.eta: its observer learns statuses and history from telemetry as the cloud would, and a short run scores."""

from bench.eta import Observer, run
from protocol.device import SocketState
from protocol.uplink import SocketStatus

T0 = 1_772_380_800_000
MIN = 60_000


def status(obs: Observer, key: str) -> SocketStatus:
    return obs.sockets[key].status


def test_the_observer_follows_a_charge_to_full_and_learns_its_dwell() -> None:
    obs = Observer()
    obs.reading("p/1", T0, SocketState.EMPTY, 0.0, 100.0)
    assert status(obs, "p/1") is SocketStatus.FREE
    obs.reading("p/1", T0 + MIN, SocketState.PLUGGED, 200.0, 100.0)
    for i in range(2, 62):
        obs.reading("p/1", T0 + i * MIN, SocketState.PLUGGED, 200.0 if i < 50 else 80.0, 100.0 + 3.0 * i)
    assert status(obs, "p/1") is SocketStatus.CHARGING
    obs.reading("p/1", T0 + 62 * MIN, SocketState.PLUGGED, 4.5, 290.0)
    assert status(obs, "p/1") is SocketStatus.FULL
    assert obs.history.charge_hours == (190.0 / 200.0,) and obs.history.end_ratio == (0.4,)
    obs.reading("p/1", T0 + 92 * MIN, SocketState.EMPTY, 0.0, 290.0)
    assert obs.history.dwell_s == (1800.0,) and status(obs, "p/1") is SocketStatus.FREE
    obs.reading("p/2", T0, SocketState.FAULT, 0.0, 0.0)
    assert [o.status for o in obs.observations()] == [SocketStatus.FREE, SocketStatus.FAULTED]


def test_a_short_run_scores_predictions() -> None:
    result = run(0.3, 0.2, 2.0, 1)
    assert result["to_full_n"] > 0 and result["socket_to_free_n"] > 0 and result["occupied_next_free_n"] > 0
    assert result["to_full_abs_err_min_p50"] is not None and result["to_full_abs_err_min_p50"] >= 0
