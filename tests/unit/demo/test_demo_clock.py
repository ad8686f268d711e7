"""A kept data dir's simulated clock goes on from the newest time an earlier run can have written: exactly where a
run that stopped in order left it, else where the earlier clock stands now; a fresh dir starts at the evening."""

from pathlib import Path

import pytest

from shedwatch.demo_clock import CLOCK_FILE, ClockFileError, SavedClock, load_clock, save_clock, start_epoch_ms

EVENING = 1_796_029_200_000  # 2026-12-01T09:00Z, 17:00 in Beijing
EARLIER = SavedClock(speed=30, epoch_ms=EVENING - 86_400_000, anchor_real_ms=1_000_000)


def test_a_fresh_data_dir_starts_at_the_evening() -> None:
    assert start_epoch_ms(None, real_now_ms=5_000_000, fresh_ms=EVENING) == EVENING


def test_after_a_stop_in_order_it_goes_on_from_the_stop() -> None:
    stopped = SavedClock(30, EARLIER.epoch_ms, EARLIER.anchor_real_ms, stopped_ms=EARLIER.epoch_ms + 90_000)
    assert start_epoch_ms(stopped, real_now_ms=9_000_000, fresh_ms=EVENING) == EARLIER.epoch_ms + 90_000


def test_after_a_kill_it_goes_on_from_where_the_old_clock_stands_now() -> None:
    # 100 real s after the earlier start at 30x: nothing of that run can be later than 3000 simulated s in.
    assert start_epoch_ms(EARLIER, real_now_ms=1_100_000, fresh_ms=EVENING) == EARLIER.epoch_ms + 3_000_000


def test_a_real_clock_that_went_back_never_moves_the_start_before_the_earlier_one() -> None:
    assert start_epoch_ms(EARLIER, real_now_ms=0, fresh_ms=EVENING) == EARLIER.epoch_ms


def test_the_file_round_trips_and_a_bad_one_is_a_clear_error(tmp_path: Path) -> None:
    assert load_clock(tmp_path) is None
    save_clock(tmp_path, EARLIER)
    assert load_clock(tmp_path) == EARLIER
    done = SavedClock(30, EARLIER.epoch_ms, EARLIER.anchor_real_ms, stopped_ms=EARLIER.epoch_ms + 1)
    save_clock(tmp_path, done)
    assert load_clock(tmp_path) == done
    for bad in ("not json", "[1, 2]", '{"speed": 30}', '{"speed": "x", "epoch_ms": 1, "anchor_real_ms": 2}'):
        (tmp_path / CLOCK_FILE).write_text(bad)
        with pytest.raises(ClockFileError, match=CLOCK_FILE):
            load_clock(tmp_path)
