"""A local HTTP receiver of alerts, for tests, benchmarks and drills: a plain JSON webhook or a DingTalk-like bot.

The DingTalk-like mode answers HTTP 200 always and says in the body whether it took the message, as DingTalk
does (``errcode`` 0, else the error code set in ``errcode``); ``down()`` makes it refuse connections. Every
accepted message is kept with its arrival time (``time.perf_counter()``), so a benchmark can time delivery.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shedwatch.ports import free_port


class HttpReceiver:
    """POSTs to any path are recorded when ``errcode`` is 0; ``errcode`` != 0 answers 200 with that error."""

    def __init__(self, *, dingtalk: bool = False) -> None:
        self.dingtalk = dingtalk
        self.port = free_port()
        self.accepted: list[dict[str, Any]] = []
        self.arrived: list[float] = []  # perf_counter() of each accepted message
        self.refused = 0
        self.errcode = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base http URL."""
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> "HttpReceiver":
        """Listen (again) on the same port."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    code = receiver.errcode
                    if code == 0:
                        receiver.accepted.append(json.loads(body))
                        receiver.arrived.append(time.perf_counter())
                    else:
                        receiver.refused += 1
                answer = {"errcode": code, "errmsg": "ok" if code == 0 else "send too fast"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def down(self) -> None:
        """Stop listening: connections are refused until ``up()``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def texts(self) -> list[str]:
        """The text of every accepted message (DingTalk: text.content; webhook: title + message)."""
        with self._lock:
            items = list(self.accepted)
        if self.dingtalk:
            return [m["text"]["content"] for m in items]
        return [f"{m.get('title', '')}\n{m.get('message', '')}" for m in items]
