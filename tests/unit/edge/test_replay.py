"""Device (src, seq): a replay is dropped, a restart and a late message are taken (and told apart)."""

from hypothesis import given
from hypothesis import strategies as st

from edge.replay import SeqTrack, judge


def test_same_message_twice_is_a_replay() -> None:
    track = SeqTrack()
    assert judge(track, 7, 1_000) == "new"
    assert judge(track, 7, 1_000) == "replay"
    assert judge(track, 8, 2_000) == "new"
    assert judge(track, 7, 1_000) == "replay", "an older message replayed by the broker is still a replay"


def test_device_restart_numbers_afresh_and_is_taken() -> None:
    track = SeqTrack()
    for seq in range(100, 110):
        assert judge(track, seq, 1_000 + seq) == "new"
    assert judge(track, 0, 5_000) == "restart", "seq back to 0 with a newer time: the device restarted"
    assert judge(track, 1, 5_100) == "new"
    assert judge(track, 1, 5_100) == "replay"


def test_reused_seq_with_another_time_is_a_restart_not_a_replay() -> None:
    track = SeqTrack()
    assert judge(track, 0, 1_000) == "new"
    assert judge(track, 1, 1_100) == "new"
    assert judge(track, 0, 9_000) == "restart"


def test_out_of_order_message_is_late_and_taken() -> None:
    track = SeqTrack()
    assert judge(track, 5, 1_000) == "new"
    assert judge(track, 7, 1_200) == "new"
    assert judge(track, 6, 1_100) == "late"
    assert judge(track, 6, 1_100) == "replay"


def test_window_is_bounded() -> None:
    track = SeqTrack()
    for seq in range(2_000):
        judge(track, seq, 1_000 + seq, window=64)
    assert len(track.seen) == 64


@given(st.lists(st.integers(0, 50), min_size=1, max_size=200))
def test_each_distinct_message_taken_once(seqs: list[int]) -> None:
    """With ts a function of seq (the same message), every distinct seq is taken exactly once."""
    track = SeqTrack()
    taken = [s for s in seqs if judge(track, s, 1_000 + s) != "replay"]
    assert sorted(taken) == sorted(set(seqs))
