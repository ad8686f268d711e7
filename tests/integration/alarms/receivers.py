"""Real local receivers for alerts: the HTTP one (shedwatch.webhook_receiver) and an SMTP server (aiosmtpd)."""

from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from shedwatch.ports import free_port
from shedwatch.webhook_receiver import HttpReceiver

__all__ = ["HttpReceiver", "SmtpReceiver"]


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
