"""An operator's stop of a socket in live state: applied and lifted by the edge's interlock events, restated by
every birth, in seq order whatever the arrival order, and never counted free."""

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.core.eta.estimate import SocketObservation, estimate
from cloud.core.eta.history import EtaHistory
from cloud.core.events import InterlockActed, SocketRemoved, SocketStatusChanged, SocketStopChanged
from cloud.core.live import LiveState, SocketStop
from cloud.core.reduce import reduce_batch
from protocol.uplink import EdgeState, InterlockAction, SocketSnapshot
from protocol.uplink import SocketStatus as S
from protocol.uplink import SocketStatusChanged as Status
from tests.integration.cloud.helpers import batch_of

T0 = 1_767_225_600_000


def _birth(seq: int, sockets: dict[int, tuple[S, bool]], session: int = 1) -> EdgeState:
    snap = [SocketSnapshot(device="p", socket=n, status=s, stopped=stop) for n, (s, stop) in sockets.items()]
    return EdgeState(src="s", seq=seq, ts=T0 + seq, state="birth", session=session, sockets=snap)


def _interlock(seq: int, socket: int, action: str, reason: str, actor: str | None = None) -> InterlockAction:
    where = {"scope": "socket", "device": "p", "socket": socket}
    return InterlockAction.model_validate(
        {"src": "s", "seq": seq, "ts": T0 + seq, "action": action, "reason": reason, "actor": actor, **where}
    )


def _stop(seq: int, socket: int, actor: str = "op-li") -> InterlockAction:
    return _interlock(seq, socket, "cut", "operator_stop", actor)


def _start(seq: int, socket: int) -> InterlockAction:
    return _interlock(seq, socket, "restore", "operator_start", "op-wang")


def _status(seq: int, socket: int, status: S) -> Status:
    return Status(src="s", seq=seq, ts=T0 + seq, device="p", socket=socket, status=status)


def _feed(live: LiveState, *messages: object) -> list[object]:
    return list(reduce_batch(live, batch_of(*messages)))


def _counts(live: LiveState) -> tuple[int, int, int, int]:
    (a,) = live.availability({})
    return a.free, a.plugged, a.stopped, a.total


def test_a_stop_holds_until_operator_start_whatever_else_happens() -> None:
    live = LiveState()
    _feed(live, _birth(1, {1: (S.FREE, False), 2: (S.FREE, False)}))
    events = _feed(live, _stop(2, 1))
    stop_events = [e for e in events if isinstance(e, SocketStopChanged)]
    assert [(e.socket, e.stopped, e.actor, e.stopped_ts) for e in stop_events] == [(1, True, "op-li", T0 + 2)]
    assert any(isinstance(e, InterlockActed) for e in events)  # the interlock itself is still told
    assert _counts(live) == (1, 0, 1, 2)
    # A bike plugged into the stopped socket, a reset of its trip, a session start elsewhere: still stopped.
    _feed(live, _status(3, 1, S.PLUGGED), _interlock(4, 1, "restore", "sensor_fault", "inst-1"))
    _feed(live, _interlock(5, 2, "restore", "session_start", "u-1"), _status(6, 1, S.FREE))
    assert live.sheds["s"].sockets[("p", 1)].stop == SocketStop("op-li", T0 + 2)
    assert _counts(live) == (1, 0, 1, 2)
    # A second stop by someone else names them; the start lifts it and says so once.
    _feed(live, _stop(7, 1, actor="op-zhao"))
    assert live.sheds["s"].sockets[("p", 1)].stop == SocketStop("op-zhao", T0 + 7)
    lifted = [e for e in _feed(live, _start(8, 1)) if isinstance(e, SocketStopChanged)]
    assert [(e.stopped, e.actor, e.stopped_ts) for e in lifted] == [(False, None, None)]
    assert _counts(live) == (2, 0, 0, 2)
    assert [e for e in _feed(live, _start(9, 1)) if isinstance(e, SocketStopChanged)] == []  # nothing changed


def test_a_birth_restates_the_stop_as_the_edge_holds_it() -> None:
    live = LiveState()
    _feed(live, _birth(1, {1: (S.FREE, False)}), _stop(2, 1))
    # A reconnect: the edge still holds the stop; who and when stay known, and nothing is announced.
    again = _feed(live, _birth(3, {1: (S.FREE, True)}, session=2))
    assert not [e for e in again if isinstance(e, SocketStopChanged)]
    assert live.sheds["s"].sockets[("p", 1)].stop == SocketStop("op-li", T0 + 2)
    # A restart of the agent: the edge forgot the stop, so the socket is free again.
    restarted = _feed(live, _birth(4, {1: (S.FREE, False)}, session=3))
    assert [(e.socket, e.stopped) for e in restarted if isinstance(e, SocketStopChanged)] == [(1, False)]
    assert _counts(live) == (1, 0, 0, 1)
    # A birth that shows a stop the cloud never heard of: stopped, by someone unknown, as of the birth.
    _feed(live, _birth(5, {1: (S.FREE, True)}, session=4))
    assert live.sheds["s"].sockets[("p", 1)].stop == SocketStop(None, T0 + 5)


def test_a_stop_heard_before_the_birth_that_introduces_the_socket_survives_it() -> None:
    live = LiveState()
    _feed(live, _stop(5, 1))  # a worker took the stop first
    assert _counts(live) == (0, 0, 1, 1)
    born = _feed(live, _birth(3, {1: (S.FREE, False), 2: (S.FREE, False)}))
    assert live.sheds["s"].sockets[("p", 1)].stop == SocketStop("op-li", T0 + 5)
    # The socket's first status is announced as such (previous None), its stop was announced already.
    firsts = [(e.socket, e.previous) for e in born if isinstance(e, SocketStatusChanged)]
    assert firsts == [(1, None), (2, None)]
    assert not [e for e in born if isinstance(e, SocketStopChanged)]
    assert _counts(live) == (1, 0, 1, 2)
    # A stop older than the birth is already in its snapshot: ignored.
    assert not [e for e in _feed(live, _stop(2, 2)) if isinstance(e, SocketStopChanged)]
    assert _counts(live) == (1, 0, 1, 2)


def test_a_stopped_socket_never_frees_in_the_eta() -> None:
    history = EtaHistory()
    stopped_free = SocketObservation("p/1", S.FREE, T0, stopped=True)
    faulted = SocketObservation("p/2", S.FAULTED, T0)
    shed = estimate([stopped_free, faulted], history, T0 + 1000)
    assert shed.next_free_s is None
    assert [s.to_free_s for s in shed.sockets] == [None, None]
    full = SocketObservation("p/3", S.FULL, T0)
    assert estimate([stopped_free, full], history, T0 + 1000).next_free_s != 0.0


Step = tuple[str, int, S | bool]  # ("status", socket, status) or ("stop", socket, stopped)


def _message(seq: int, step: Step) -> object:
    kind, socket, value = step
    if kind == "status":
        assert isinstance(value, S)
        return _status(seq, socket, value)
    return _stop(seq, socket) if value else _start(seq, socket)


@settings(max_examples=150)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("status"), st.integers(1, 3), st.sampled_from(list(S))),
            st.tuples(st.just("stop"), st.integers(1, 3), st.booleans()),
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(0, 25),
    st.randoms(use_true_random=False),
    st.lists(st.integers(0, 40), max_size=6),
)
def test_any_split_and_order_ends_with_the_stops_of_seq_order(
    steps: list[Step], birth_at: int, rnd: random.Random, cuts: list[int]
) -> None:
    numbered = [(seq, step) for seq, step in enumerate(steps, start=1)]
    birth_seq = min(birth_at, len(numbered))
    # Reference in seq order: the edge's truth after every step.
    status: dict[int, S] = {}
    stopped: dict[int, bool] = {}
    for _seq, (kind, socket, value) in numbered[:birth_seq]:
        if kind == "status":
            status[socket] = value  # type: ignore[assignment]
        else:
            stopped[socket] = bool(value)
    # The edge's birth lists the sockets it knows, with their stop.
    snap = {n: (status.get(n, S.FREE), stopped.get(n, False)) for n in set(status) | set(stopped)}
    messages = [_message(seq, step) for seq, step in numbered]
    shuffled = [*messages, _birth(birth_seq, snap), *rnd.sample(messages, k=min(3, len(messages)))]
    rnd.shuffle(shuffled)
    live, seen = LiveState(), set[tuple[str, int]]()
    bounds = [0, *sorted(c for c in cuts if c <= len(shuffled)), len(shuffled)]
    for lo, hi in itertools.pairwise(bounds):
        batch = batch_of(*shuffled[lo:hi])
        keys = {(m.src, m.seq) for m, _ in batch.events}
        reduce_batch(live, batch, keys - seen)
        seen |= keys
    for seq, (kind, socket, value) in numbered:
        if seq > birth_seq and kind == "stop":
            stopped[socket] = bool(value)
    got = {n: s.stop is not None for (_d, n), s in live.sheds["s"].sockets.items()}
    assert {n: v for n, v in got.items() if v} == {n: v for n, v in stopped.items() if v}
    (a,) = live.availability({})
    assert a.stopped == sum(stopped.values())
    assert a.free + a.charging + a.plugged + a.full + a.faulted + a.stopped == a.total


def test_a_stop_newer_than_a_birth_that_does_not_list_the_socket_is_kept() -> None:
    live = LiveState()
    _feed(live, _stop(4, 7))  # socket 7 came with a config pushed after the birth at 3, which arrives late
    _feed(live, _birth(3, {1: (S.FREE, False)}))
    assert live.sheds["s"].sockets[("p", 7)].stop == SocketStop("op-li", T0 + 4)
    assert _counts(live) == (1, 0, 1, 2)


def test_a_stop_of_a_socket_a_newer_birth_does_not_list_is_lifted_and_said_so() -> None:
    live = LiveState()
    _feed(live, _stop(2, 7))  # the config then dropped socket 7: the birth at 3 no longer lists it
    events = _feed(live, _birth(3, {1: (S.FREE, False)}))
    assert [(e.socket, e.stopped) for e in events if isinstance(e, SocketStopChanged)] == [(7, False)]
    assert not [e for e in events if isinstance(e, SocketRemoved)]  # its status was never heard
    assert ("p", 7) not in live.sheds["s"].sockets and _counts(live) == (1, 0, 0, 1)
