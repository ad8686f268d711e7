"""Live state applies socket events as seq order says, whatever order they arrive in."""

from hypothesis import given
from hypothesis import strategies as st

from cloud.core.events import EdgeOffline, EdgeOnline, SocketStatusChanged
from cloud.core.live import LiveState
from protocol.uplink import SocketSnapshot, SocketStatus

STATUSES = list(SocketStatus)


def test_late_event_never_overwrites_newer_state() -> None:
    live = LiveState()
    assert live.apply_status("s", "p", 1, SocketStatus.FULL, seq=5, ts=5)
    assert not live.apply_status("s", "p", 1, SocketStatus.CHARGING, seq=4, ts=4)
    assert not live.apply_status("s", "p", 1, SocketStatus.CHARGING, seq=5, ts=5)  # replay
    assert live.sheds["s"].sockets[("p", 1)].status is SocketStatus.FULL


def test_birth_replaces_sockets_but_keeps_newer_ones() -> None:
    live = LiveState()
    live.apply_status("s", "p", 1, SocketStatus.CHARGING, seq=3, ts=3)
    live.apply_status("s", "p", 9, SocketStatus.CHARGING, seq=3, ts=3)  # gone from the shed
    live.apply_status("s", "p", 2, SocketStatus.FAULTED, seq=12, ts=12)  # newer than the birth
    snap = [SocketSnapshot(device="p", socket=n, status=SocketStatus.FREE) for n in (1, 2)]
    assert live.apply_birth("s", snap, seq=10, ts=10)
    socks = live.sheds["s"].sockets
    assert set(socks) == {("p", 1), ("p", 2)}
    assert socks[("p", 1)].status is SocketStatus.FREE
    assert socks[("p", 2)].status is SocketStatus.FAULTED
    # Events the birth already counted are ignored; an older birth is ignored.
    assert not live.apply_status("s", "p", 9, SocketStatus.FULL, seq=7, ts=7)
    assert not live.apply_birth("s", [], seq=8, ts=8)


def test_a_late_will_of_an_older_session_does_not_mark_a_newer_edge_offline() -> None:
    live = LiveState()
    live.apply_birth("s", [], seq=5, ts=5, session=3)
    live.apply_death("s", ts=6, session=2)
    assert live.sheds["s"].online
    assert live.availability({})[0].edge_online
    live.apply_death("s", ts=7, session=3)
    assert not live.sheds["s"].online
    assert not live.availability({})[0].edge_online


def test_availability_counts_and_sorts() -> None:
    live = LiveState()
    live.apply_status("b", "p", 1, SocketStatus.FREE, seq=1, ts=100)
    live.apply_status("a", "p", 1, SocketStatus.CHARGING, seq=1, ts=50)
    live.apply_status("a", "p", 2, SocketStatus.FREE, seq=2, ts=60)
    out = live.availability({"a": "north"})
    assert [a.shed for a in out] == ["a", "b"]
    assert (out[0].community, out[0].free, out[0].charging, out[0].total, out[0].updated_ts) == ("north", 1, 1, 2, 60)
    assert out[1].community == ""


events = st.lists(st.tuples(st.integers(1, 3), st.sampled_from(STATUSES)), min_size=1, max_size=30)


@given(events, st.randoms(use_true_random=False), st.integers(0, 29))
def test_any_arrival_order_with_replays_ends_like_seq_order(
    seq_events: list[tuple[int, SocketStatus]], rnd, birth_at: int
) -> None:
    numbered = [(seq, sock, stat) for seq, (sock, stat) in enumerate(seq_events, start=1)]
    # Reference: apply in seq order; the birth (snapshot of state at birth_seq) inserted at its place.
    birth_seq = min(birth_at, len(numbered))
    ref: dict[int, SocketStatus] = {}
    for seq, sock, stat in numbered:
        if seq <= birth_seq:
            ref[sock] = stat
    snap = [SocketSnapshot(device="p", socket=k, status=v) for k, v in ref.items()]
    for seq, sock, stat in numbered:
        if seq > birth_seq:
            ref[sock] = stat
    arrivals: list[tuple[str, int, int, SocketStatus]] = [("ev", *e) for e in numbered]
    arrivals += [("ev", *e) for e in rnd.sample(numbered, k=min(3, len(numbered)))]  # replays
    arrivals.append(("birth", birth_seq, 0, SocketStatus.FREE))
    rnd.shuffle(arrivals)
    live = LiveState()
    for kind, seq, sock, stat in arrivals:
        if kind == "ev":
            live.apply_status("s", "p", sock, stat, seq=seq, ts=seq)
        else:
            live.apply_birth("s", snap, seq=seq, ts=seq)
    got = {n: s.status for (_d, n), s in live.sheds["s"].sockets.items()}
    assert got == ref


def test_reducers_say_what_changed_as_domain_events() -> None:
    live = LiveState()
    snap = [SocketSnapshot(device="p", socket=n, status=SocketStatus.FREE) for n in (1, 2)]
    born = live.apply_birth("s", snap, seq=4, ts=40, session=1, received_at=41)
    assert [type(e).__name__ for e in born] == ["SocketStatusChanged", "SocketStatusChanged"]  # online already
    (changed,) = live.apply_status("s", "p", 1, SocketStatus.CHARGING, seq=5, ts=50, received_at=51)
    assert isinstance(changed, SocketStatusChanged)
    assert (changed.previous, changed.status, changed.seq, changed.received_at) == (
        SocketStatus.FREE,
        SocketStatus.CHARGING,
        5,
        51,
    )
    assert live.apply_status("s", "p", 1, SocketStatus.CHARGING, seq=6, ts=60) == []  # same status: no event
    (off,) = live.apply_death("s", ts=70, session=1, seq=6)
    assert isinstance(off, EdgeOffline) and off.session == 1
    # A late heartbeat of the dead session does not revive it; one of a new session does.
    assert live.apply_heartbeat("s", session=1, outbox_depth=0, seq=6, ts=71, received_at=72) == []
    assert not live.sheds["s"].online
    (on,) = live.apply_heartbeat("s", session=2, outbox_depth=3, seq=6, ts=80, received_at=81)
    assert isinstance(on, EdgeOnline) and live.sheds["s"].online and live.sheds["s"].outbox_depth == 3
    # A birth that drops a socket says so.
    events = live.apply_birth("s", snap[:1], seq=9, ts=90, session=2)
    assert [(type(e).__name__, getattr(e, "socket", None)) for e in events] == [
        ("SocketStatusChanged", 1),
        ("SocketRemoved", 2),
    ]
