"""History reads stay bounded and keep what matters: extremes and totals."""

from hypothesis import given
from hypothesis import strategies as st

from cloud.history import downsample, pick_resolution
from cloud.telemetry.base import Resolution, Sample

H = 3_600_000


def test_resolution_grows_with_the_range() -> None:
    assert pick_resolution(0, 6 * H) is Resolution.RAW
    assert pick_resolution(0, 6 * H + 1) is Resolution.MINUTE
    assert pick_resolution(0, 7 * 24 * H) is Resolution.MINUTE
    assert pick_resolution(0, 30 * 24 * H) is Resolution.HOUR


@given(
    st.lists(st.tuples(st.integers(0, 999_999), st.floats(-1e6, 1e6), st.integers(1, 50)), min_size=1, max_size=300),
    st.integers(1, 100),
)
def test_downsampling_bounds_points_and_keeps_extremes_and_counts(
    raw: list[tuple[int, float, int]], max_points: int
) -> None:
    samples = sorted((Sample(ts, v, v, v, n) for ts, v, n in raw), key=lambda s: s.ts)
    out = downsample(samples, 0, 1_000_000, max_points)
    assert len(out) <= max_points
    assert sum(s.count for s in out) == sum(s.count for s in samples)
    assert min(s.min for s in out) == min(s.min for s in samples)
    assert max(s.max for s in out) == max(s.max for s in samples)
    assert [s.ts for s in out] == sorted(s.ts for s in out)
