"""A taken-over cloud session: backoff doubles to a cap, one alarm per episode, cleared after a stable connection."""

from edge.takeover import TakeoverGuard


def test_backoff_doubles_and_caps_and_alarm_raises_once() -> None:
    g = TakeoverGuard(first_backoff_s=5, max_backoff_s=30, stable_s=60)
    g.on_connect(0)
    assert g.on_takeover(1) == (5, True)
    g.on_connect(6)
    assert g.on_takeover(7) == (10, False)
    g.on_connect(17)
    assert g.on_takeover(18) == (20, False)
    g.on_connect(38)
    assert g.on_takeover(39) == (30, False)
    assert g.total == 4


def test_stable_connection_clears_alarm_and_resets_backoff() -> None:
    g = TakeoverGuard(first_backoff_s=5, max_backoff_s=300, stable_s=60)
    g.on_connect(0)
    g.on_takeover(1)
    g.on_connect(6)
    assert not g.clear_due(30)
    assert g.clear_due(66)
    assert not g.clear_due(70), "cleared once"
    assert g.on_takeover(100) == (5, True), "a new episode starts from the first backoff"


def test_quick_losses_in_a_row_count_as_taken_over() -> None:
    """A broker that just closes the old connection (no 0x8E): two quick losses in a row are a takeover."""
    g = TakeoverGuard(first_backoff_s=5, quick_s=10, quick_losses_needed=2)
    g.on_connect(0)
    assert g.on_lost(100, taken_over=False) is None, "a loss after a long connection is ordinary"
    g.on_connect(101)
    assert g.on_lost(102, taken_over=False) is None, "one quick loss may be a blip"
    g.on_connect(103)
    assert g.on_lost(104, taken_over=False) == (5, True)


def test_reason_code_taken_over_counts_at_once() -> None:
    g = TakeoverGuard(first_backoff_s=5)
    g.on_connect(0)
    assert g.on_lost(500, taken_over=True) == (5, True)
