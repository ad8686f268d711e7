"""Sets of stream seqs as sorted, disjoint, inclusive ranges: a gap of a million seqs costs one pair."""

Range = tuple[int, int]  # (first, last), both included


def add(ranges: list[Range], first: int, last: int) -> list[Range]:
    """``ranges`` with ``first..last`` added, merged with what it touches or overlaps."""
    out: list[Range] = []
    placed = False
    for a, b in ranges:
        if b + 1 < first:
            out.append((a, b))
        elif last + 1 < a:
            if not placed:
                out.append((first, last))
                placed = True
            out.append((a, b))
        else:
            first, last = min(a, first), max(b, last)
    if not placed:
        out.append((first, last))
    return sorted(out)


def gaps(ranges: list[Range], start: int, end: int) -> list[Range]:
    """The seqs in ``start..end`` not in ``ranges``."""
    out: list[Range] = []
    cursor = start
    for a, b in ranges:
        if b < cursor:
            continue
        if a > end:
            break
        if a > cursor:
            out.append((cursor, min(a - 1, end)))
        cursor = max(cursor, b + 1)
    if cursor <= end:
        out.append((cursor, end))
    return out


def count(ranges: list[Range]) -> int:
    """How many seqs the ranges hold."""
    return sum(b - a + 1 for a, b in ranges)
