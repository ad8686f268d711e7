"""The reducer: any split into batches, any arrival order, replays included, ends where seq order ends,
and says so with the same net events."""

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.core.events import CommandAnswered, EdgeAlarmRaised, InterlockActed, SocketStatusChanged
from cloud.core.live import LiveState
from cloud.core.reduce import reduce_batch
from protocol.uplink import (
    AlarmClass,
    AlarmRaised,
    CommandResult,
    EdgeState,
    InterlockAction,
    SocketSnapshot,
)
from protocol.uplink import SocketStatus as S
from protocol.uplink import SocketStatusChanged as Status
from tests.integration.cloud.helpers import batch_of

T0 = 1_767_225_600_000


def _status(seq: int, socket: int, status: S) -> Status:
    return Status(src="s", seq=seq, ts=T0 + seq, device="p", socket=socket, status=status)


def _run(messages: list[object], cuts: list[int]) -> tuple[LiveState, list[object]]:
    """Feed batches as a store would: a (src, seq) counts as new only the first time."""
    live, seen, events = LiveState(), set(), []
    bounds = [0, *sorted(cuts), len(messages)]
    for lo, hi in itertools.pairwise(bounds):
        batch = batch_of(*messages[lo:hi])
        keys = {(m.src, m.seq) for m, _ in batch.events} | {(m.src, m.seq) for m, _ in batch.results}
        new = keys - seen
        seen |= keys
        events += reduce_batch(live, batch, new)
    return live, events


@settings(max_examples=150)
@given(
    st.lists(st.tuples(st.integers(1, 3), st.sampled_from(list(S))), min_size=1, max_size=25),
    st.integers(0, 25),
    st.randoms(use_true_random=False),
    st.lists(st.integers(0, 40), max_size=6),
)
def test_any_split_and_order_ends_like_seq_order(
    changes: list[tuple[int, S]], birth_at: int, rnd: random.Random, cuts: list[int]
) -> None:
    numbered = [_status(seq, sock, st_) for seq, (sock, st_) in enumerate(changes, start=1)]
    birth_seq = min(birth_at, len(numbered))
    known = {m.socket: m.status for m in numbered if m.seq <= birth_seq}
    snap = [SocketSnapshot(device="p", socket=k, status=v) for k, v in known.items()]
    birth = EdgeState(src="s", seq=birth_seq, ts=T0, state="birth", session=1, sockets=snap)
    in_order: list[object] = [birth, *(m for m in numbered if m.seq > birth_seq)]
    reference, _ = _run(in_order, [])
    shuffled = [*numbered, birth, *rnd.sample(numbered, k=min(3, len(numbered)))]
    rnd.shuffle(shuffled)
    got, events = _run(shuffled, [c for c in cuts if c <= len(shuffled)])
    ref_sockets = {k: v.status for k, v in reference.sheds["s"].sockets.items()}
    assert {k: v.status for k, v in got.sheds["s"].sockets.items()} == ref_sockets
    # The last status each socket was announced with is its live status.
    announced = {(e.device, e.socket): e.status for e in events if isinstance(e, SocketStatusChanged)}
    assert {k: announced[k] for k in ref_sockets} == ref_sockets


def test_new_alarms_interlocks_and_results_become_events_once() -> None:
    raised = AlarmRaised(
        src="s", seq=1, ts=T0, alarm_id="a", alarm_class=AlarmClass.FIRE, alarm_type="smoke", device="env-1"
    )
    cut = InterlockAction(src="s", seq=2, ts=T0, action="cut", scope="shed", reason="smoke", latched=True)
    answer = CommandResult(src="s", seq=3, ts=T0, request_id="r-1", status="applied")
    live = LiveState()
    events = reduce_batch(live, batch_of(answer, cut, raised), {("s", 1), ("s", 2), ("s", 3)})
    assert [type(e) for e in events] == [EdgeAlarmRaised, InterlockActed, CommandAnswered]  # seq order
    assert [(e.seq, e.received_at) for e in events] == [(1, T0 + 1), (2, T0 + 2), (3, T0 + 3)]
    assert reduce_batch(live, batch_of(answer, cut, raised), set()) == []  # replays: stored before, no event
