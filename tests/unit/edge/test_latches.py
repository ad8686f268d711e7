"""Latches as records: what is latched before a restart is latched after it, and a reset still clears it."""

from edge.actions import Relay
from edge.decide import decide
from edge.inputs import Tick
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
    # the restart's clocks read T0 (the decisions below run on them): a restored session was last heard then
    assert restore(fresh, records, mono_ms=T0, wall_ms=T0) == 2
    fresh, actions = decide(fresh, make_input({"tick": True}, T0 + 1000), T0 + 1000)
    assert fresh.posts["post-2"].sockets[3].trip == "socket_overtemp"
    assert all(s.status == SocketStatus.FAULTED for s in fresh.sockets())
    assert latches_of(fresh) == records

    now = T0 + 2000
    fresh, actions = decide(fresh, make_input({"command": {"action": "reset_trip"}}, now), now)
    cleared = {a.event.alarm_type for a in actions if isinstance(getattr(a, "event", None), AlarmCleared)}
    assert cleared == {"socket_overtemp", "smoke"}
    assert [r for r in latches_of(fresh) if r["scope"] != "session"] == []


def test_records_for_sockets_no_longer_configured_are_skipped() -> None:
    state = make_state(posts=1)
    assert restore(state, [{"scope": "socket", "device": "post-7", "socket": 1, "reason": "over_power"}]) == 0


def _charge(state, at_s: float, energy: float, *, wall_offset: int = 0, relay: bool = True):  # type: ignore[no-untyped-def]
    now = T0 + int(at_s * 1000)
    tele = PostTelemetry(
        src="post-1",
        seq=1,
        ts=now + wall_offset,
        total_power_w=200.0,
        sockets=[sock_reading({"socket": 1, "power_w": 200.0, "energy_wh": energy, "relay": relay})],
    )
    return decide(state, tele, now, now + wall_offset)


def test_a_session_keeps_its_age_and_energy_across_an_agent_restart() -> None:
    """Switched on at 0; the agent restarts at 11 h after 5 min down; the 12 h limit still ends it at 12 h."""
    state = make_state()
    state, _ = _charge(state, 0, 1000.0)
    state, _ = _charge(state, 11 * 3600, 3200.0)
    records = latches_of(state)
    assert [r["scope"] for r in records] == ["session"]
    # the new process: its monotonic clock starts anywhere (here 1e6 ms), its wall clock 5 min later
    down_ms = 300_000
    mono0 = 1_000_000
    wall0 = T0 + 11 * 3600 * 1000 + down_ms
    fresh = make_state()
    assert restore(fresh, records, mono_ms=mono0, wall_ms=wall0) == 0
    sock = fresh.posts["post-1"].sockets[1]
    assert sock.session_id == state.posts["post-1"].sockets[1].session_id
    offset = wall0 - mono0  # wall = mono + offset in the new process

    def at(mono: int, energy: float) -> list[object]:
        tele = PostTelemetry(
            src="post-1",
            seq=2,
            ts=mono + offset,
            total_power_w=200.0,
            sockets=[sock_reading({"socket": 1, "power_w": 200.0, "energy_wh": energy})],
        )
        _, actions = decide(fresh, tele, mono, mono + offset)
        return actions

    left_ms = 12 * 3600 * 1000 - (11 * 3600 * 1000 + down_ms)  # 55 min of the 12 h remain
    assert not [a for a in at(mono0 + 10_000, 3300.0) if isinstance(a, Relay)]
    assert not [a for a in at(mono0 + left_ms - 10_000, 3400.0) if isinstance(a, Relay)]
    cut = [a for a in at(mono0 + left_ms, 3410.0) if isinstance(a, Relay)]
    assert [(a.on, a.reason) for a in cut] == [(False, "max_session")]
    assert sock.session_energy_wh == 3410.0 - 1000.0  # what was counted while the agent was down included


def test_a_session_restored_on_an_implausible_clock_is_timed_again_from_now() -> None:
    state = make_state()
    state, _ = _charge(state, 0, 0.0)
    fresh = make_state()
    restore(fresh, latches_of(state), mono_ms=5_000, wall_ms=86_400_000)  # the Pi booted in 1970
    assert fresh.posts["post-1"].sockets[1].session_start_ms == 5_000


def test_a_restored_session_whose_post_is_silent_is_cut_as_stale() -> None:
    state = make_state()
    state, _ = _charge(state, 0, 0.0)
    fresh = make_state()
    restore(fresh, latches_of(state), mono_ms=T0, wall_ms=T0)
    _, actions = decide(fresh, Tick(), T0 + 31_000)
    assert [(a.socket, a.reason) for a in actions if isinstance(a, Relay)] == [(1, "stale_telemetry")]
