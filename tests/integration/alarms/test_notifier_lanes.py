"""The notifier's send threads over a real SQLite outbox and real HTTP receivers (one of them slow).

With several send threads a slow channel never holds up an alert of another incident; one incident's alerts to
one target still go one at a time and in order; nothing in flight is picked twice; every alert is delivered
exactly once.
"""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cloud.alarms.repo import AlarmRepo
from cloud.notify.worker import Notifier
from cloud.state.store import StateStore
from shedwatch.ports import free_port
from tests.integration.alarms.receivers import HttpReceiver
from tests.waiting import wait_until

pytestmark = pytest.mark.integration
NOW = 1_767_225_600_000


class SlowReceiver:
    """Answers every POST with 200 after ``delay_s``, keeping the order of arrival."""

    def __init__(self, delay_s: float) -> None:
        self.port = free_port()
        self.started: list[str] = []  # the Ref line of each request as it arrived
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                receiver.started.append(str(body["message"]).rsplit("Ref: ", 1)[-1])
                time.sleep(delay_s)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow(request: pytest.FixtureRequest) -> Iterator[SlowReceiver]:
    r = SlowReceiver(getattr(request, "param", 1.5))
    yield r
    r.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    s.migrate()
    yield s
    s.close()


def _queue(store: StateStore, incident: str, step: str, target: str) -> None:
    with store.engine.begin() as conn:
        assert AlarmRepo(conn, sqlite=True).enqueue(
            incident=incident,
            step=step,
            person="guard",
            target=target,
            title=f"{incident} {step}",
            body=f"text\nRef: {incident}/{step}/guard",
            now=NOW,
        )


def _statuses(store: StateStore) -> dict[str, tuple[str, int]]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT incident, step, status, attempts FROM alerts").all()
    return {f"{r[0]}/{r[1]}": (r[2], r[3]) for r in rows}


def test_a_slow_channel_does_not_hold_up_another_incidents_alert(
    store: StateStore, slow: SlowReceiver, webhook: HttpReceiver
) -> None:
    notifier = Notifier(store.engine, sqlite=True, workers=4)
    try:
        _queue(store, "inc-1", "open", f"json://127.0.0.1:{slow.port}/guard")
        _queue(store, "inc-2", "open", f"json://127.0.0.1:{webhook.port}/guard")
        assert notifier.run_once(NOW, wait=False) == 2
        wait_until(lambda: webhook.texts(), timeout=10, what="the fast channel's alert")
        # inc-1's send is still in flight at the slow receiver: not picked again, not yet recorded
        assert slow.started == ["inc-1/open/guard"]
        assert notifier.run_once(NOW, wait=False) == 0
        assert _statuses(store)["inc-1/open"] == ("pending", 0)
        wait_until(lambda: _statuses(store)["inc-1/open"][0] == "delivered", timeout=10, what="the slow delivery")
        assert notifier.run_once(NOW, wait=False) == 0
    finally:
        notifier.close()
    assert _statuses(store) == {"inc-1/open": ("delivered", 1), "inc-2/open": ("delivered", 1)}
    assert slow.started == ["inc-1/open/guard"]
    assert [t.rsplit("Ref: ", 1)[-1] for t in webhook.texts()] == ["inc-2/open/guard"]
    assert notifier.stats.delivered == 2


@pytest.mark.parametrize("slow", [0.5], indirect=True)
def test_one_incidents_alerts_to_one_target_go_one_at_a_time_in_order(store: StateStore, slow: SlowReceiver) -> None:
    notifier = Notifier(store.engine, sqlite=True, workers=4)
    sent: list[int] = []
    notifier.on_sent = lambda: sent.append(1)
    target = f"json://127.0.0.1:{slow.port}/guard"
    try:
        for step in ("open", "update_1", "update_2"):
            _queue(store, "inc-1", step, target)
        assert notifier.run_once(NOW, wait=False) == 1  # only the first: the others wait behind it
        assert notifier.run_once(NOW, wait=False) == 0
        wait_until(lambda: sent, timeout=10, what="the first send recorded")
        assert notifier.run_once(NOW) == 1  # the next one, waited for
        assert notifier.run_once(NOW) == 1
        assert notifier.run_once(NOW) == 0
    finally:
        notifier.close()
    assert slow.started == ["inc-1/open/guard", "inc-1/update_1/guard", "inc-1/update_2/guard"]
    assert set(_statuses(store).values()) == {("delivered", 1)}


def test_a_send_that_raises_leaves_the_alert_pending_and_counted(store: StateStore) -> None:
    calls: list[str] = []

    def broken(url: str, text: object) -> object:
        calls.append(url)
        raise RuntimeError("a plugin bug")

    notifier = Notifier(store.engine, sqlite=True, send=broken)  # type: ignore[arg-type]
    try:
        _queue(store, "inc-1", "open", "json://127.0.0.1:9/guard")
        assert notifier.run_once(NOW) == 1
        assert notifier.run_once(NOW) == 1  # still due: tried again, never lost
    finally:
        notifier.close()
    assert calls == ["json://127.0.0.1:9/guard"] * 2
    assert _statuses(store) == {"inc-1/open": ("pending", 0)}
    assert notifier.stats.send_errors == 2


def test_passes_from_two_threads_at_once_send_every_alert_exactly_once(
    store: StateStore, webhook: HttpReceiver
) -> None:
    notifier = Notifier(store.engine, sqlite=True, workers=4)
    for i in range(30):
        _queue(store, f"inc-{i}", "open", f"json://127.0.0.1:{webhook.port}/guard")
    stop = threading.Event()

    def passes() -> None:
        # as the alarm thread and the notifier thread do: start sends, never wait for them
        while not stop.is_set():
            notifier.run_once(NOW, wait=False)

    threads = [threading.Thread(target=passes) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        wait_until(lambda: len(webhook.texts()) >= 30, timeout=30, what="30 alerts")
        time.sleep(0.3)  # a double send would arrive meanwhile
    finally:
        stop.set()
        for t in threads:
            t.join()
        notifier.close()
    refs = [t.rsplit("Ref: ", 1)[-1] for t in webhook.texts()]
    assert sorted(refs) == sorted(f"inc-{i}/open/guard" for i in range(30))
    assert set(_statuses(store).values()) == {("delivered", 1)}
