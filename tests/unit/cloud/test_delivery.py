"""End-to-end delivery in the cloud: watermark, gaps from seq and from announced last seqs, resend, give up."""

from hypothesis import given
from hypothesis import strategies as st

from cloud.delivery.ranges import add, count, gaps
from cloud.delivery.tracker import DeliveryTimings, ShedStream

T = DeliveryTimings(grace_ms=1_000, resend_every_ms=2_000, give_up_ms=10_000, ack_every_ms=0)


def _stream(oldest: int = 1) -> ShedStream:
    """A stream whose edge said (birth) it holds every seq from ``oldest`` on."""
    s = ShedStream()
    s.announce(0, oldest)
    return s


def test_ranges_merge_and_gaps() -> None:
    r = add([], 5, 7)
    r = add(r, 9, 9)
    r = add(r, 8, 8)
    assert r == [(5, 9)]
    r = add(r, 20, 30)
    assert gaps(r, 1, 25) == [(1, 4), (10, 19)]
    assert count(r) == 16


@given(st.sets(st.integers(1, 200), max_size=120))
def test_ranges_hold_exactly_what_was_added(seqs: set[int]) -> None:
    r: list[tuple[int, int]] = []
    for s in seqs:
        r = add(r, s, s)
    assert {x for a, b in r for x in range(a, b + 1)} == seqs
    assert {x for a, b in gaps(r, 1, 200) for x in range(a, b + 1)} == set(range(1, 201)) - seqs


def test_contiguous_stream_moves_the_watermark() -> None:
    s = _stream()
    s.stored(range(1, 11))
    ack = s.decide(0, T)
    assert ack is not None and ack.stored_seq == 10 and ack.resend == []
    assert s.decide(1, T) is None, "nothing moved: nothing to publish"


def test_broker_queue_overflow_gap_is_asked_for_then_closed() -> None:
    """The issue's case in small: 1..1000 arrive, 1001..1500 were dropped by the broker, 1501..1520 arrive."""
    s = _stream()
    s.stored(range(1, 1001))
    s.stored(range(1501, 1521))
    assert s.decide(0, T).stored_seq == 1000  # type: ignore[union-attr]
    assert s.missing() == [(1001, 1500)]
    assert s.decide(500, T) is None, "within the grace time: maybe still in flight"
    ask = s.decide(1_000, T)
    assert ask is not None and ask.resend == [(1001, 1500)]
    assert s.decide(1_500, T) is None, "asked once per resend interval"
    s.stored(range(1001, 1501))
    ack = s.decide(1_600, T)
    assert ack is not None and ack.stored_seq == 1520 and ack.resend == [] and ack.lost == []


def test_lost_tail_is_seen_from_the_heartbeats_last_seq() -> None:
    s = _stream()
    s.stored(range(1, 6))
    s.announce(8)  # the edge issued 6..8, none arrived
    s.decide(0, T)
    assert s.decide(1_000, T).resend == [(6, 8)]  # type: ignore[union-attr]


def test_gap_given_up_only_after_the_edge_was_heard_and_named() -> None:
    s = _stream()
    s.stored([1, 2, 5])
    s.decide(0, T)
    assert s.decide(1_000, T).resend == [(3, 4)]  # type: ignore[union-attr]
    assert s.decide(11_000, T).resend == [(3, 4)], "not heard from the edge since asking: ask again"  # type: ignore[union-attr]
    s.announce(5)
    ack = s.decide(21_500, T)
    assert ack is not None and ack.lost == [(3, 4)] and ack.newly_lost == [(3, 4)] and ack.stored_seq == 5
    assert s.missing() == [] and s.lost_count() == 2


def test_new_data_below_the_watermark_is_never_called_a_duplicate_here() -> None:
    """A seq never stored stays missing even when later ones arrived (the stores decide duplicates)."""
    s = _stream(oldest=10)
    s.stored([10, 12])
    assert s.stored_through == 10 and s.missing() == [(11, 11)]


def test_recovered_watermark_after_a_cloud_restart() -> None:
    s = ShedStream()
    s.recover(500)
    s.stored([503])
    assert s.missing() == [(501, 502)]


def test_book_drops_a_seq_already_held_whatever_its_kind() -> None:
    from cloud.core.batch import Batch
    from cloud.delivery.book import DeliveryBook
    from protocol.uplink import SocketStatus, SocketStatusChanged, TelemetryBatch, TelemetryPoint

    t0 = 1_767_225_600_000
    tel = TelemetryBatch(
        src="shed-a", seq=5, ts=t0, points=[TelemetryPoint(ts=t0, device="post-1", fields={"power_w": 1.0})]
    )
    book = DeliveryBook()
    first = Batch(telemetry=[(tel, t0)])
    assert book.drop_held(first) == 0
    book.committed(first)
    ev = SocketStatusChanged(src="shed-a", seq=5, ts=t0, device="post-1", socket=1, status=SocketStatus.FULL)
    other = SocketStatusChanged(src="shed-a", seq=6, ts=t0, device="post-1", socket=1, status=SocketStatus.FREE)
    second = Batch(events=[(ev, t0), (other, t0)])
    assert book.drop_held(second) == 1
    assert [m.seq for m, _ in second.events] == [6] and second.duplicates == 1


@given(
    n=st.integers(1, 300),
    dropped=st.sets(st.integers(1, 300), max_size=100),
    order=st.randoms(use_true_random=False),
)
def test_whatever_the_broker_drops_or_reorders_the_resends_close_every_gap(
    n: int, dropped: set[int], order: object
) -> None:
    """Deliver 1..n shuffled minus ``dropped``, announce n, then answer every resend request."""
    s = _stream()
    first = [seq for seq in range(1, n + 1) if seq not in dropped]
    order.shuffle(first)  # type: ignore[attr-defined]
    for seq in first:
        s.stored([seq])
    s.announce(n, 1)
    now = 0
    for _ in range(20):
        ack = s.decide(now, T)
        if ack is not None:
            for a, b in ack.resend:
                s.stored(range(a, b + 1))
        now += T.resend_every_ms
    assert s.stored_through == n and s.missing() == [] and s.lost == []


def test_without_a_recovered_ack_nothing_is_acknowledged_from_stored_seqs_alone() -> None:
    """A cloud that lost its retained acks sees seq 1001 first: 1..1000 may never have been stored."""
    s = ShedStream()
    s.stored([1001])
    assert s.decide(0, T) is None, "no watermark before the edge says what it holds"
    s.announce(1001, 1)  # the edge still holds 1..1001
    s.decide(0, T)
    ask = s.decide(1_000, T)
    assert ask is not None and ask.stored_seq == 0 and ask.resend == [(1, 1000)]


def test_edge_holding_nothing_starts_the_watermark_at_its_last_seq() -> None:
    s = ShedStream()
    s.announce(500, 0)
    ack = s.decide(0, T)
    assert ack is not None and ack.stored_seq == 500


def test_a_newer_edge_session_is_acknowledged_at_once_and_survives_a_restart() -> None:
    """An edge with a new store waits for the ack's edge_session: a birth, death or heartbeat session moves it."""
    s = _stream()
    s.stored(range(1, 4))
    first = s.decide(0, T)
    assert first is not None and first.edge_session == 0
    assert s.decide(1, T) is None
    s.heard_session(3)  # a clean stop's death of session 3, nothing else new
    ack = s.decide(2, T)
    assert ack is not None and (ack.stored_seq, ack.edge_session) == (3, 3)
    assert s.decide(3, T) is None
    s.heard_session(2)  # a late heartbeat of an older session changes nothing
    assert s.decide(4, T) is None
    again = ShedStream()
    again.recover(3, [], session=3)  # the retained ack read back by a restarted cloud
    again.heard_session(3)
    assert again.decide(5, T) is None
    again.heard_session(4)
    later = again.decide(6, T)
    assert later is not None and later.edge_session == 4
