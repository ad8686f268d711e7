"""Gaps are announced once when first asked for and once when given up, never at every retry."""

from cloud.core.gaps import GapAnnouncer

NOW = 1_767_225_600_000


def test_each_range_is_told_once_asked_then_once_lost() -> None:
    g = GapAnnouncer()
    (asked,) = g.announce("shed-a", [(5, 7)], [], now_ms=NOW)
    assert (asked.first, asked.last, asked.lost, asked.seq, asked.ts) == (5, 7, False, 7, NOW)
    assert g.announce("shed-a", [(5, 7)], [], now_ms=NOW + 5000) == []  # the retry is not news
    (lost,) = g.announce("shed-a", [], [(5, 7)], now_ms=NOW + 30_000)
    assert (lost.first, lost.last, lost.lost) == (5, 7, True)
    assert g.announce("shed-a", [], [(5, 7)], now_ms=NOW + 31_000) == []
    assert [e.shed for e in g.announce("shed-b", [(5, 7)], [], now_ms=NOW)] == ["shed-b"]  # per shed


def test_ranges_lost_before_a_restart_are_not_news() -> None:
    g = GapAnnouncer()
    g.already_lost("shed-a", [(1, 3)])
    assert g.announce("shed-a", [], [(1, 3)], now_ms=NOW) == []
    assert len(g.announce("shed-a", [], [(1, 3), (9, 9)], now_ms=NOW)) == 1
