"""Ground truth as JSON Lines: what the simulator really did, for tests and benchmarks to check against.

Records (one JSON object a line, field ``record`` names the kind):

* ``message``: every message published (kind, topic, src, seq, ts);
* ``fault``: every injected fault (ts, shed, fault, device, socket, params);
* ``relay_command`` / ``relay_result`` / ``relay_ignored``: relay commands received and answered;
* ``plug`` / ``unplug`` / ``discharge``: physical events;
* ``sockets``: a snapshot of every socket (at least every simulated minute, and at exit) with
  ``truth`` in free / charging / full / faulted / plugged.
"""

import json
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from simulators.shed import Outgoing


def message_record(out: Outgoing) -> dict[str, Any]:
    """The truth record of one published message."""
    m = out.message
    return {"record": "message", "kind": out.kind.value, "topic": out.topic, "src": m.src, "seq": m.seq, "ts": m.ts}


class TruthWriter:
    """Appends records and flushes after every batch, so readers can follow a running simulator."""

    def __init__(self, path: str | Path | None) -> None:
        self._file: IO[str] | None = Path(path).open("a", encoding="utf-8") if path else None  # noqa: SIM115 (held open)

    def write(self, records: list[dict[str, Any]]) -> None:
        """Write records and flush."""
        if self._file is None or not records:
            return
        self._file.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
        self._file.flush()

    def close(self) -> None:
        """Flush and close."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "TruthWriter":
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def read_truth(path: str | Path, record: str | None = None) -> list[dict[str, Any]]:
    """Read a truth file (optionally only one kind of record); a half-written last line is skipped."""
    out: list[dict[str, Any]] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # the writer is mid-line
        if record is None or rec.get("record") == record:
            out.append(rec)
    return out


def last_snapshot(path: str | Path) -> dict[str, Any] | None:
    """The most recent ``sockets`` record, or None."""
    snaps = read_truth(path, "sockets")
    return snaps[-1] if snaps else None
