"""Real local receivers for alerts: an HTTP server (plain webhook or DingTalk-like) and an SMTP server (aiosmtpd).

The DingTalk-like receiver answers HTTP 200 always and says in the body whether it took the message, as
DingTalk does (``errcode`` 0, else an error code); it can also refuse connections entirely (``down()``).
"""

import json
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from shedwatch.ports import free_port


class HttpReceiver:
    """POSTs to any path are recorded when ``errcode`` is 0; ``errcode`` != 0 answers 200 with that error."""

    def __init__(self, *, dingtalk: bool = False) -> None:
        self.dingtalk = dingtalk
        self.port = free_port()
        self.accepted: list[dict[str, Any]] = []
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


class SmtpReceiver:
    """aiosmtpd on a free port, no AUTH, keeping every message."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[str] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
                msg = message_from_bytes(envelope.content)
                part = msg.get_payload(0) if msg.is_multipart() else msg
                text = part.get_payload(decode=True).decode("utf-8", "replace")  # type: ignore[union-attr]
                receiver.messages.append(f"{msg['Subject']}\n{text}")
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpReceiver":
        """Start serving."""
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.controller.stop()
