"""Shed-wide and post-wide cuts: one post-level relay-off per post, every socket confirmed and retried on its own."""

import pytest

from edge.actions import Emit, Relay
from edge.decide import decide
from edge.inputs import Tick
from edge.state import ShedState
from protocol.device import (
    EnvironmentReading,
    ExtinguisherStatus,
    PostTelemetry,
    RelayResult,
    SocketReading,
    SocketState,
)
from protocol.uplink import AlarmCleared, AlarmRaised
from tests.unit.edge.scenario import T0, make_state, per_socket


def _discharged(seq: int = 1) -> ExtinguisherStatus:
    return ExtinguisherStatus(
        src="ext-1", seq=seq, ts=T0, pressure_mpa=0.1, discharged=True, removed=False, battery_pct=90.0
    )


def _smoke(seq: int = 1) -> EnvironmentReading:
    return EnvironmentReading(
        src="env-1", seq=seq, ts=T0, temp_c=20.0, smoke_obscuration_pct_m=12.0, smoke_alarm=True,
        h2_ppm=0.0, co_ppm=0.0, voc_ppm=0.0,
    )  # fmt: skip


def _result(post: str, socket: int, request_id: str, seq: int, *, relay: bool = False) -> RelayResult:
    return RelayResult(src=post, seq=seq, ts=T0, request_id=request_id, socket=socket, ok=True, relay=relay)


def _telemetry(post: str, relays: dict[int, bool], seq: int) -> PostTelemetry:
    readings = [
        SocketReading(
            socket=n, voltage_v=220.0, current_a=0.0, power_w=0.0, energy_wh=0.0, temp_c=25.0, relay=on,
            state=SocketState.PLUGGED,
        )
        for n, on in relays.items()
    ]  # fmt: skip
    return PostTelemetry(src=post, seq=seq, ts=T0, total_power_w=0.0, sockets=readings)


def _switched_on(posts: int = 20, sockets: int = 10) -> ShedState:
    state = make_state(posts=posts, sockets=sockets)
    for sock in state.sockets():
        sock.relay, sock.last_ms = True, T0
    return state


def _relays(actions: list[object]) -> list[Relay]:
    return [a for a in actions if isinstance(a, Relay)]


def test_a_shed_trip_is_one_post_level_off_per_post_and_every_socket_waits_for_its_own_confirmation() -> None:
    state = _switched_on()
    _, actions = decide(state, _discharged(), T0 + 1000)
    relays = _relays(actions)
    assert [(r.device, r.socket, r.on, r.reason) for r in relays] == [
        (f"post-{i}", None, False, "extinguisher_discharged") for i in range(1, 21)
    ]
    assert len({r.request_id for r in relays}) == 20  # one request per post
    by_post = {r.device: r.request_id for r in relays}
    for sock in state.sockets():
        assert sock.pending is not None and not sock.pending.on
        assert sock.pending.request_id == by_post[sock.device]  # each socket tracks the post-level request
    assert len(per_socket(actions, state)) == 200


def test_results_per_socket_confirm_each_socket_and_the_unconfirmed_one_alone_is_retried_then_alarmed() -> None:
    state = _switched_on(posts=2, sockets=4)
    _, actions = decide(state, _smoke(), T0)
    rid = {r.device: r.request_id for r in _relays(actions)}
    seq = 10
    for post in ("post-1", "post-2"):
        for n in range(1, 5):
            if (post, n) == ("post-2", 3):
                continue  # a welded relay: the post never confirms it
            seq += 1
            decide(state, _result(post, n, rid[post], seq), T0 + 100)
    pending = [(s.device, s.socket) for s in state.sockets() if s.pending is not None]
    assert pending == [("post-2", 3)]
    t = state.config.thresholds
    now = T0 + 100
    resent: list[Relay] = []
    events: list[object] = []
    for _ in range(t.relay_retries + 2):
        now += int(t.relay_confirm_s * 1000)
        _, acts = decide(state, Tick(), now)
        resent += _relays(acts)
        events += [a.event for a in acts if isinstance(a, Emit)]
    # retried per socket, with the post-level request id, exactly relay_retries times
    assert [(r.device, r.socket, r.on, r.request_id) for r in resent] == [
        ("post-2", 3, False, rid["post-2"])
    ] * t.relay_retries
    raised = [e for e in events if isinstance(e, AlarmRaised) and e.alarm_type == "relay_unconfirmed"]
    assert [(e.device, e.socket) for e in raised] == [("post-2", 3)]
    # a late result for that socket confirms it and clears the alarm
    _, acts = decide(state, _result("post-2", 3, rid["post-2"], 99), now + 10)
    assert state.posts["post-2"].sockets[3].pending is None
    assert any(isinstance(a, Emit) and isinstance(a.event, AlarmCleared) for a in acts)


def test_a_result_for_another_request_does_not_confirm() -> None:
    state = _switched_on(posts=1, sockets=4)
    decide(state, _smoke(), T0)
    decide(state, _result("post-1", 1, "r-not-ours", 5), T0 + 10)
    assert state.posts["post-1"].sockets[1].pending is not None


def test_telemetry_showing_the_relays_open_confirms_a_post_level_cut() -> None:
    state = _switched_on(posts=2, sockets=4)
    decide(state, _smoke(), T0)
    decide(state, _telemetry("post-1", dict.fromkeys(range(1, 5), False), 5), T0 + 50)
    assert all(s.pending is None for s in state.posts["post-1"].sockets.values())
    assert all(s.pending is not None for s in state.posts["post-2"].sockets.values())


def test_a_second_shed_cause_says_it_again_at_once_to_every_post() -> None:
    # the first cut is still unconfirmed (a post that lagged): the new cause must not wait for its retry
    state = _switched_on(posts=3, sockets=4)
    _, first = decide(state, _smoke(), T0)
    _, again = decide(state, _discharged(2), T0 + 100)
    relays = _relays(again)
    assert [(r.device, r.socket, r.reason) for r in relays] == [
        (p, None, "extinguisher_discharged") for p in ("post-1", "post-2", "post-3")
    ]
    assert not {r.request_id for r in relays} & {r.request_id for r in _relays(first)}
    by_post = {r.device: r.request_id for r in relays}
    assert all(s.pending is not None and s.pending.request_id == by_post[s.device] for s in state.sockets())
    assert state.shed_trips == {"smoke", "extinguisher_discharged"}


def test_a_new_cut_over_a_given_up_command_still_clears_its_alarm_when_confirmed() -> None:
    state = _switched_on(posts=1, sockets=2)
    decide(state, _smoke(), T0)
    t = state.config.thresholds
    now = T0
    for _ in range(t.relay_retries + 2):  # the post never answers: retries run out, relay_unconfirmed raised
        now += int(t.relay_confirm_s * 1000)
        decide(state, Tick(), now)
    assert all(s.pending is not None and s.pending.failed for s in state.sockets())
    _, acts = decide(state, _discharged(), now + 1)  # a new cause: a new post-level command replaces them
    rid = _relays(acts)[0].request_id
    _, acts = decide(state, _result("post-1", 1, rid, 50), now + 20)
    cleared = [a.event for a in acts if isinstance(a, Emit) and isinstance(a.event, AlarmCleared)]
    assert [(e.alarm_type, e.device, e.socket) for e in cleared] == [("relay_unconfirmed", "post-1", 1)]


def test_a_post_only_partly_concerned_gets_per_socket_commands() -> None:
    state = make_state(posts=1, sockets=4, thresholds={"sample_interval_s": 1, "stale_samples": 2})
    for sock in state.sockets():
        sock.last_ms = T0
    for n in (1, 3):
        state.posts["post-1"].sockets[n].relay = True  # 2 and 4 are open: their relays need no command
    _, actions = decide(state, Tick(), T0 + 2001)
    assert [(r.socket, r.reason) for r in _relays(actions)] == [(1, "stale_telemetry"), (3, "stale_telemetry")]


def test_the_fail_safe_cuts_with_post_level_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    import edge.decide as decide_module

    def boom(*_a: object) -> None:
        raise ZeroDivisionError("bug")  # any error inside a rule

    monkeypatch.setattr(decide_module, "on_environment", boom)
    state = _switched_on(posts=2, sockets=4)
    _, actions = decide(state, _smoke(), T0)
    assert [(r.device, r.socket, r.reason) for r in _relays(actions)] == [
        ("post-1", None, "internal_error"),
        ("post-2", None, "internal_error"),
    ]
    assert all(s.trip == "internal_error" and s.pending is not None for s in state.sockets())
    # failing again on every message: no new command before the retry is due, so the retries still run out
    _, actions = decide(state, _smoke(2), T0 + 100)
    assert _relays(actions) == []


def test_a_one_socket_post_gets_a_per_socket_command() -> None:
    state = _switched_on(posts=1, sockets=1)
    _, actions = decide(state, _smoke(), T0)
    assert [(r.device, r.socket) for r in _relays(actions)] == [("post-1", 1)]
