"""Stream messages stamped far from their arrival are flagged (and stored)."""

from hypothesis import given
from hypothesis import strategies as st

from cloud.ingest.timestamps import FAR_FUTURE_MS, FAR_PAST_MS, flag

NOW = 1_796_000_000_000


def test_flags() -> None:
    assert flag(NOW, NOW) is None
    assert flag(NOW + 8 * 3_600_000, NOW) == "ts_far_future", "UTC+8 labelled as UTC"
    assert flag(NOW - 333 * 86_400_000, NOW) == "ts_far_past", "a simulated clock a year behind"
    assert flag(NOW - FAR_PAST_MS, NOW) is None and flag(NOW + FAR_FUTURE_MS, NOW) is None


@given(st.integers(-(10**12), 10**12))
def test_flag_matches_the_bounds(offset: int) -> None:
    got = flag(NOW + offset, NOW)
    assert got == ("ts_far_future" if offset > FAR_FUTURE_MS else "ts_far_past" if offset < -FAR_PAST_MS else None)
