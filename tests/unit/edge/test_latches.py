"""Latches as records: what is latched before a restart is latched after it, and a reset still clears it."""

from edge.decide import decide
from edge.latches import latches_of, restore
from protocol.device import EnvironmentReading, PostTelemetry
from protocol.uplink import AlarmCleared, SocketStatus
from tests.unit.edge.scenario import T0, make_input, make_state, sock_reading


def test_latches_round_trip_into_a_fresh_state() -> None:
    state = make_state(posts=2)
    tele = PostTelemetry(
        src="post-2", seq=1, ts=T0, total_power_w=0.0, sockets=[sock_reading({"socket": 3, "temp_c": 70.0})]
    )
    state, _ = decide(state, tele, T0)
    env = EnvironmentReading(
        src="env-1",
        seq=2,
        ts=T0,
        temp_c=20.0,
        smoke_obscuration_pct_m=0.0,
        smoke_alarm=True,
        h2_ppm=0.0,
        co_ppm=0.0,
        voc_ppm=0.0,
    )
    state, _ = decide(state, env, T0)
    records = latches_of(state)
    assert {"scope": "socket", "device": "post-2", "socket": 3, "reason": "socket_overtemp"} in records
    assert {"scope": "shed", "reason": "smoke"} in records

    fresh = make_state(posts=2)
    assert restore(fresh, records) == 2
    fresh, actions = decide(fresh, make_input({"tick": True}, T0 + 1000), T0 + 1000)
    assert fresh.posts["post-2"].sockets[3].trip == "socket_overtemp"
    assert all(s.status == SocketStatus.FAULTED for s in fresh.sockets())
    assert latches_of(fresh) == records

    now = T0 + 2000
    fresh, actions = decide(fresh, make_input({"command": {"action": "reset_trip"}}, now), now)
    cleared = {a.event.alarm_type for a in actions if isinstance(getattr(a, "event", None), AlarmCleared)}
    assert cleared == {"socket_overtemp", "smoke"}
    assert latches_of(fresh) == []


def test_records_for_sockets_no_longer_configured_are_skipped() -> None:
    state = make_state(posts=1)
    assert restore(state, [{"scope": "socket", "device": "post-7", "socket": 1, "reason": "over_power"}]) == 0
