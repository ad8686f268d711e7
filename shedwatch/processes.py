"""Child processes of ShedWatch components, each in its own session with its own log file.

The demo and the end-to-end tests start the real commands this way, so that a Ctrl-C
reaches only the supervisor, which then stops the parts in a safe order. With
``guard_parent`` a child also gets SIGTERM if the supervisor is killed outright.
"""

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def guarded(argv: Sequence[str]) -> list[str]:
    """``argv`` run through shedwatch.parent_guard: SIGTERM to it when this process dies, even by SIGKILL.

    Start it from the thread that lives as long as the process (the main thread): Linux signals the child when
    the thread that forked it ends."""
    return [sys.executable, "-m", "shedwatch.parent_guard", str(os.getpid()), *argv]


class Child:
    """One running ``python -m shedwatch ...`` (or any) command."""

    def __init__(
        self, name: str, argv: Sequence[str], *, log_dir: Path, cwd: Path | None = None, guard_parent: bool = False
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_dir / f"{name}.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                guarded(self.argv) if guard_parent else self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    @classmethod
    def shedwatch(
        cls, name: str, args: Sequence[str], *, log_dir: Path, cwd: Path | None = None, guard_parent: bool = False
    ) -> "Child":
        """Start ``python -m shedwatch ARGS`` with this interpreter."""
        argv = [sys.executable, "-m", "shedwatch", *args]
        return cls(name, argv, log_dir=log_dir, cwd=cwd, guard_parent=guard_parent)

    @property
    def exit_code(self) -> int | None:
        """None while running."""
        return self.proc.poll()

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait, then SIGKILL; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()

    def kill(self) -> None:
        """SIGKILL at once, as a crash or power cut would."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the child's log, for error messages."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""
