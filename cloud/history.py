"""History reads: raw data for short ranges, rollups for long ones, a bounded number of points (pure)."""

from cloud.telemetry.base import Resolution, Sample

RAW_MAX_MS = 6 * 3_600_000  # up to 6 h: raw readings (every 10 s while charging: ~2,200 per series)
MINUTE_MAX_MS = 7 * 86_400_000  # up to 7 days: minute rollups; beyond: hour rollups


def pick_resolution(start_ms: int, end_ms: int) -> Resolution:
    """The coarsest-needed resolution for a range."""
    span = end_ms - start_ms
    if span <= RAW_MAX_MS:
        return Resolution.RAW
    if span <= MINUTE_MAX_MS:
        return Resolution.MINUTE
    return Resolution.HOUR


def downsample(samples: list[Sample], start_ms: int, end_ms: int, max_points: int) -> list[Sample]:
    """Merge samples into at most ``max_points`` equal-width buckets (weighted mean, min of mins, max of maxes)."""
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    if len(samples) <= max_points:
        return samples
    width = -(-(end_ms - start_ms) // max_points)  # ceiling: max_points buckets cover the range
    out: list[Sample] = []
    bucket_start = None
    total = lo = hi = 0.0
    count = 0
    for s in samples:
        b = start_ms + (s.ts - start_ms) // width * width
        if b != bucket_start:
            if bucket_start is not None:
                out.append(Sample(bucket_start, total / count, lo, hi, count))
            bucket_start, total, lo, hi, count = b, 0.0, s.min, s.max, 0
        total += s.mean * s.count
        count += s.count
        lo = min(lo, s.min)
        hi = max(hi, s.max)
    if bucket_start is not None:
        out.append(Sample(bucket_start, total / count, lo, hi, count))
    return out
