"""The ETA learner: dwell after full from status changes, finished charges handed out for measuring."""

from cloud.core.eta.learn import FinishedCharge, Learner
from protocol.uplink import SocketStatus as S

SID = ("shed-a", "post-1", 1)


def test_a_charge_then_a_dwell_are_learned() -> None:
    learner = Learner()
    assert learner.observe(SID, S.PLUGGED, S.FREE, 1_000) is None
    assert learner.observe(SID, S.CHARGING, S.PLUGGED, 2_000) is None
    done = learner.observe(SID, S.FULL, S.CHARGING, 3_602_000)
    assert done == FinishedCharge("shed-a", "post-1", 1, 2_000, 3_602_000)
    assert learner.observe(SID, S.FREE, S.FULL, 3_602_000 + 1_800_000) is None
    assert learner.of("shed-a").dwell_s == (1800.0,)
    learner.charge_measured("shed-a", energy_wh=300.0, peak_w=200.0, end_w=80.0)
    assert learner.of("shed-a").charge_hours == (1.5,) and learner.of("shed-a").end_ratio == (0.4,)
    assert learner.of("shed-b").dwell_s == ()


def test_taken_away_while_charging_teaches_no_dwell_and_no_charge() -> None:
    learner = Learner()
    learner.observe(SID, S.CHARGING, S.FREE, 1_000)
    assert learner.observe(SID, S.FREE, S.CHARGING, 5_000) is None
    assert learner.of("shed-a").dwell_s == () and learner.charging_since == {}


def test_an_idle_bike_counts_its_dwell_from_when_it_stopped_drawing() -> None:
    learner = Learner()
    learner.observe(SID, S.PLUGGED, None, 10_000)  # first heard of: already plugged, not drawing
    learner.observe(SID, S.FREE, S.PLUGGED, 70_000)
    assert learner.of("shed-a").dwell_s == (60.0,)
    learner.observe(SID, S.FULL, None, 0)
    learner.observe(SID, None, S.FULL, 5_000)  # removed from the config: no dwell, nothing kept
    assert learner.waiting_since == {} and learner.of("shed-a").dwell_s == (60.0,)
