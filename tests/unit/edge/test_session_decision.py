"""A new store's first session: above every session the cloud knows for the shed, never below its own."""

from edge.uplink import session_decision


def test_a_counter_below_the_known_session_moves_to_it() -> None:
    assert session_decision(0, 5) == 5  # new store: the next birth is 6, the will 6 too


def test_a_counter_at_or_above_the_known_session_stays() -> None:
    assert session_decision(0, 0) is None  # the cloud has never heard of the shed
    assert session_decision(5, 5) is None  # the next birth (6) is already above
    assert session_decision(9, 5) is None
