"""Where a demo's simulated clock starts, so that a kept data dir never holds "the future".

Everything in a run is stamped by one simulated clock (ScaledClock). A later run in the same data dir
(--data-dir) must start after the newest time the earlier runs wrote, or its timeline would go back in time and the
stored updated_ts would be later than the cloud's now. The data dir keeps the clock's position in ``clock.json``:
the clock's spec, written at the start, and ``stopped_ms``, the simulated time when the demo had stopped every part
in order. A run that ended otherwise (killed, power cut) left no ``stopped_ms``: then the earlier clock, still
running in the mind, is read at the real time now; nothing of that run can be later than that.
"""

import json
from dataclasses import dataclass
from pathlib import Path

CLOCK_FILE = "clock.json"


class ClockFileError(ValueError):
    """``clock.json`` is there but unreadable or malformed."""


@dataclass(frozen=True)
class SavedClock:
    """A run's clock as ``clock.json`` holds it."""

    speed: float
    epoch_ms: int
    anchor_real_ms: int
    stopped_ms: int | None = None

    def at_real(self, real_ms: int) -> int:
        """The simulated time this clock showed (or shows) at real time ``real_ms`` (as ScaledClock.now_ms)."""
        return self.epoch_ms + int((real_ms - self.anchor_real_ms) * self.speed)


def start_epoch_ms(saved: SavedClock | None, *, real_now_ms: int, fresh_ms: int) -> int:
    """Where this run's simulated clock starts: ``fresh_ms`` (the evening) in a new data dir, else no earlier than
    the newest simulated time an earlier run in it can have written."""
    if saved is None:
        return fresh_ms
    if saved.stopped_ms is not None:
        return saved.stopped_ms
    return max(saved.epoch_ms, saved.at_real(real_now_ms))


def load_clock(data_dir: Path) -> SavedClock | None:
    """The clock an earlier run left in ``data_dir``; None when there is none; ClockFileError when it is bad."""
    path = data_dir / CLOCK_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ClockFileError(f"{path}: {exc}") from None
    try:
        stopped = raw.get("stopped_ms")
        return SavedClock(
            speed=float(raw["speed"]),
            epoch_ms=int(raw["epoch_ms"]),
            anchor_real_ms=int(raw["anchor_real_ms"]),
            stopped_ms=None if stopped is None else int(stopped),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ClockFileError(f"{path}: not a demo clock ({exc!r})") from None


def save_clock(data_dir: Path, clock: SavedClock) -> None:
    """Write ``clock.json`` whole (a temporary file renamed over it: a crash leaves the old one or the new one)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / (CLOCK_FILE + ".tmp")
    tmp.write_text(json.dumps(clock.__dict__) + "\n", encoding="utf-8")
    tmp.replace(data_dir / CLOCK_FILE)
