"""A `shedwatch demo` process for the end-to-end tests: what it printed so far (read by a thread), and a stop
that always runs: Ctrl-C first (the demo stops its parts, each in a session of its own), a kill only if that fails."""

import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.waiting import wait_until


class Run:
    """One `shedwatch demo` process and what it printed so far."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []

    def text(self) -> str:
        return "".join(self.lines)

    def started(self) -> str:
        """The demo's address once it says it runs."""
        wait_until(lambda: "Ctrl-C stops it." in self.text() or self.proc.poll() is not None, timeout=120, what="start")
        match = re.search(r"open (http://\S+/)", self.text())
        assert match and "Ctrl-C stops it." in self.text(), self.text()
        return match.group(1)

    def password(self, role: str) -> str:
        found = re.search(rf"account: {role} +user {role} +password (\S+)", self.text())
        assert found, self.text()
        return found.group(1)

    def parts(self) -> list[int]:
        """Pids of the demo's children (mosquitto, cloud, edges, simulators; each in a session of its own)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == self.proc.pid:
                found.append(int(stat.parent.name))
        return found


@contextmanager
def demo_process(args: Sequence[str], cwd: Path) -> Iterator[Run]:
    """``shedwatch demo ARGS`` in ``cwd``, stopped when the block ends (however it ends)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "shedwatch", "demo", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    run = Run(proc)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            run.lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield run
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        reader.join(10)  # the pipe's end: the demo and whatever shared its stdout have ended
        if not reader.is_alive() and proc.stdout is not None:
            proc.stdout.close()
