"""A real mosquitto process on a free port, from a generated config.

Used by the test fixtures, the benchmarks and the demo. It can be stopped,
killed and restarted on the same port for fault drills; with ``persistence``
its sessions and queued QoS 1 messages survive a restart.
"""

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from shedwatch.ports import free_port, wait_listening
from shedwatch.processes import guarded


class MosquittoNotFound(RuntimeError):
    """No mosquitto binary on PATH (or in /usr/sbin)."""


def find_mosquitto() -> str | None:
    """Path of the mosquitto binary, or None."""
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


class Mosquitto:
    """One mosquitto broker process bound to 127.0.0.1 on its own port."""

    def __init__(
        self,
        *,
        port: int | None = None,
        workdir: Path | None = None,
        persistence: bool = False,
        unlimited_queues: bool = True,
        extra_config: str = "",
        guard_parent: bool = False,
    ) -> None:
        binary = find_mosquitto()
        if binary is None:
            raise MosquittoNotFound("mosquitto not found: install it (apt-get install mosquitto)")
        self.binary = binary
        self.port = port or free_port()
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sw-mosquitto-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.persistence = persistence
        self.unlimited_queues = unlimited_queues
        self.extra_config = extra_config
        self.guard_parent = guard_parent  # SIGTERM to the broker when this process dies (shedwatch.parent_guard)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "mosquitto.log"

    @property
    def url(self) -> str:
        """mqtt:// URL of this broker."""
        return f"mqtt://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        """The generated mosquitto.conf."""
        lines = [
            "per_listener_settings false",
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            # Running as root, mosquitto would drop to user 'mosquitto' and fail to write our files.
            "user root" if os.geteuid() == 0 else "",
            "log_dest stdout",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "max_inflight_messages 0" if self.unlimited_queues else "",
            "max_queued_messages 0" if self.unlimited_queues else "",
            "max_queued_bytes 0" if self.unlimited_queues else "",
            "message_size_limit 0",
            # Without it small packets (a relay-off command) can wait ~40 ms for Nagle's algorithm.
            "set_tcp_nodelay true",
        ]
        if self.persistence:
            lines += [
                "persistence true",
                f"persistence_location {self.workdir}/",
                "autosave_interval 1",
            ]
        else:
            lines.append("persistence false")
        return "\n".join(line for line in lines if line) + "\n" + self.extra_config + "\n"

    def start(self, timeout: float = 10.0) -> "Mosquitto":
        """Start the broker and wait until it accepts connections."""
        if self.proc is not None and self.proc.poll() is None:
            return self
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(self.config_text())
        log = self.log_path.open("ab")
        argv = [self.binary, "-c", str(conf)]
        self.proc = subprocess.Popen(
            guarded(argv) if self.guard_parent else argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        try:
            wait_listening("127.0.0.1", self.port, timeout)
        except TimeoutError:
            self.kill()
            raise RuntimeError(f"mosquitto did not start: {self.log_path.read_text()[-2000:]}") from None
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully (SIGTERM): persistent state is saved."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """Kill at once (SIGKILL), as a crash or power cut would."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> "Mosquitto":
        """Stop and start again on the same port."""
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        """True while the process lives."""
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> "Mosquitto":
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
