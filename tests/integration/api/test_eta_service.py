"""The ETA service learns charges from a real SQLite telemetry store and dwells from status changes."""

from pathlib import Path

import pytest

from cloud.core.events import SocketStatusChanged
from cloud.core.live import ShedLive, SocketLive
from cloud.eta.service import EtaService
from cloud.telemetry.sqlite import SqliteTelemetryStore
from protocol.uplink import SocketStatus as S
from protocol.uplink import TelemetryBatch, TelemetryPoint

pytestmark = pytest.mark.integration
T0 = 1_767_225_600_000
MIN = 60_000


def change(ts: int, status: S, previous: S) -> SocketStatusChanged:
    return SocketStatusChanged(
        shed="shed-a",
        seq=ts // 1000,
        ts=ts,
        received_at=ts,
        device="post-1",
        socket=1,
        status=status,
        previous=previous,
    )


def test_a_charge_and_its_dwell_become_the_sheds_history(tmp_path: Path) -> None:
    telemetry = SqliteTelemetryStore(tmp_path / "t.db")
    points = [(T0 + m * MIN, 200.0 if m < 60 else 80.0, 1000.0 + 3.0 * m) for m in range(91)]
    telemetry.write(
        [
            TelemetryBatch(
                src="shed-a",
                seq=i + 1,
                ts=ts,
                points=[TelemetryPoint(ts=ts, device="post-1", socket=1, fields={"power_w": w, "energy_wh": e})],
            )
            for i, (ts, w, e) in enumerate(points)
        ]
    )
    full = ShedLive("shed-a", sockets={("post-1", 1): SocketLive(S.FULL, 3, T0 + 91 * MIN)})
    service = EtaService(lambda: {"shed-a": full.copy()}, telemetry, lambda: T0 + 100 * MIN)
    changed: list[list[str]] = []
    service.on_change = changed.append
    service.on_event(change(T0, S.CHARGING, S.PLUGGED))
    service.on_event(change(T0 + 91 * MIN, S.FULL, S.CHARGING))
    service.refresh()
    history = service.learner.of("shed-a")
    # 270 Wh over the charge (the counter's first and last readings), a 200 W peak, 80 W when it ended.
    assert history.charge_hours == (270.0 / 200.0,) and history.end_ratio == (0.4,)
    estimate = service.current()["shed-a"]
    assert estimate.at_ms == T0 + 100 * MIN and estimate.next_free_s is not None and estimate.next_free_s > 0
    assert changed == [["shed-a"]] and service.version == 1
    service.on_event(change(T0 + 121 * MIN, S.FREE, S.FULL))
    assert service.learner.of("shed-a").dwell_s == (30 * 60.0,)
    telemetry.close()
