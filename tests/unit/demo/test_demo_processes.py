"""What keeps the demo's parts from outliving it: a port test before anything starts, a health wait that another
server's page does not crash, and the parent guard that has the kernel SIGTERM a part whose demo was killed
outright (SIGKILL)."""

import argparse
import http.server
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from shedwatch.demo import Demo
from shedwatch.parent_guard import EXIT_USAGE, main
from shedwatch.ports import port_taken
from shedwatch.processes import Child
from tests.waiting import wait_until


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaped yet has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_listening_port_is_taken_and_a_closed_one_is_not() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert port_taken("127.0.0.1", port)
    assert not port_taken("127.0.0.1", port)


# A parent that starts a guarded child (a long sleep), prints its pid, and waits to be killed.
PARENT = """
import subprocess, sys
from shedwatch.processes import guarded
child = subprocess.Popen(guarded(["sleep", "600"]), start_new_session=True)
print(child.pid, flush=True)
sys.stdin.read()
"""


def test_a_guarded_child_gets_sigterm_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        # The guard has exec'd into sleep (same pid) and sleeps on, in a session of its own.
        wait_until(lambda: Path(f"/proc/{child}/comm").read_text().strip() == "sleep", timeout=30, what="exec")
        assert alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        wait_until(lambda: not alive(child), timeout=30, what="the orphan to end")
    finally:
        if alive(child):
            subprocess.run(["kill", "-KILL", str(child)], check=False)


def test_the_guard_refuses_bad_arguments_and_an_already_dead_parent(tmp_path: Path) -> None:
    assert main([]) == EXIT_USAGE
    assert main(["not-a-pid", "true"]) == EXIT_USAGE
    # Run apart (the guard arms itself first): its parent is this test, not the pid it is told, so it is as if
    # that parent had already died: it must not start the program.
    guard = [sys.executable, "-m", "shedwatch.parent_guard", "1", "touch", "started"]
    assert subprocess.run(guard, cwd=tmp_path, check=False).returncode == 128 + signal.SIGTERM
    assert not (tmp_path / "started").exists()


class NotJson(http.server.BaseHTTPRequestHandler):
    """Some other server on the port: a page, not the cloud's JSON."""

    def do_GET(self) -> None:
        body = b"<html>not the cloud</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def test_waiting_for_the_cloud_survives_an_answer_that_is_not_json(tmp_path: Path) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), NotJson)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    demo = Demo(argparse.Namespace(data_dir=tmp_path))
    cloud = Child("cloud", ["sleep", "600"], log_dir=tmp_path)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        # A clear failure naming the address (the demo prints it and stops everything), not a JSONDecodeError.
        with pytest.raises(RuntimeError, match="the cloud did not answer on"):
            demo.wait_healthy(url, cloud, timeout=1.0)
    finally:
        cloud.kill()
        server.shutdown()
        server.server_close()
