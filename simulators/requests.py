"""Fault requests: lines appended to a file start a scenario's held-back faults (``sim run --faults-on-request``).

The demo's drill button is the one writer (the cloud appends a line when an admin asks for the drill); the
simulator only reads. Each complete line (ending in a newline) that is a JSON object is one request; anything
else is counted as bad and skipped, never a crash. A file that does not exist yet is no request.
"""

import json
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def parse_requests(chunk: bytes) -> tuple[int, int, int]:
    """(good requests, bad lines, bytes consumed) of complete lines at the start of ``chunk`` (pure).

    A line not yet ended by a newline is left for the next read: its writer may be half way through it."""
    good = bad = 0
    end = chunk.rfind(b"\n") + 1
    for line in chunk[:end].splitlines():
        if not line.strip():
            continue
        try:
            ok = isinstance(json.loads(line), dict)
        except ValueError:
            ok = False
        good, bad = (good + 1, bad) if ok else (good, bad + 1)
    return good, bad, end


@dataclass
class RequestFile:
    """Reads what was appended to ``path`` since the last poll; counts good and bad requests."""

    path: Path
    offset: int = 0
    requests: int = 0
    bad: int = 0

    def poll(self) -> int:
        """New good requests since the last poll (0 when the file is missing, unchanged or unreadable)."""
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            log.warning("fault requests: cannot read %s: %s", self.path, exc)
            return 0
        good, bad, used = parse_requests(chunk)
        self.offset += used
        self.requests += good
        if bad:
            self.bad += bad
            log.warning("fault requests: %d line(s) of %s are not JSON objects (skipped)", bad, self.path)
        return good
