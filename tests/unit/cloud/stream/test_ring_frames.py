"""The ring resumes exactly what a client missed, or says it cannot; ids parse only when they are ours."""

import pytest

from cloud.stream.frames import Outgoing, encode, parse_event_id
from cloud.stream.ring import Ring

EPOCH = 1_764_000_000_000


def filled(capacity: int, count: int) -> Ring:
    ring = Ring(capacity)
    for n in range(1, count + 1):
        ring.append(encode(EPOCH, n, Outgoing("availability", "c1", {"n": n})))
    return ring


def test_after_returns_exactly_the_missed_events() -> None:
    ring = filled(5, 8)  # holds 4..8
    assert [e.n for e in ring.after(3) or []] == [4, 5, 6, 7, 8]
    assert [e.n for e in ring.after(6) or []] == [7, 8]
    assert ring.after(8) == []
    assert ring.after(2) is None  # 3 is gone: resuming would lose it
    assert ring.after(9) is None  # ahead of the head: not ours
    assert filled(5, 0).after(0) == []


def test_appending_out_of_order_is_refused() -> None:
    ring = filled(3, 2)
    with pytest.raises(ValueError):
        ring.append(encode(EPOCH, 4, Outgoing("availability", "c1", {})))
    with pytest.raises(ValueError):
        Ring(0)


def test_a_frame_is_one_sse_event_with_id_event_and_json_data() -> None:
    event = encode(EPOCH, 7, Outgoing("socket", "c1", {"shed": "shed-a", "status": "free"}))
    assert event.frame == f'id: {EPOCH}-7\nevent: socket\ndata: {{"shed":"shed-a","status":"free"}}\n\n'.encode()


@pytest.mark.parametrize(
    ("value", "parsed"),
    [(f"{EPOCH}-12", (EPOCH, 12)), ("12", None), ("a-1", None), ("1-b", None), ("", None), ("1-" + "9" * 50, None)],
)
def test_parse_event_id(value: str, parsed: tuple[int, int] | None) -> None:
    assert parse_event_id(value) == parsed
