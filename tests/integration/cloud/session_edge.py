"""A scripted edge for cloud session tests: answers start_session / stop_session on the broker as an edge would
(start: applied and session_started; stop: applied and session_ended "stopped" at 40 Wh); refuses one socket and
may ignore starts on another."""

import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol.codec import encode
from protocol.commands import Command
from protocol.topics import Kind, shed_topic
from protocol.uplink import CommandResult, SessionEnded, SessionEndReason, SessionStarted
from tests.integration.cloud.helpers import Publisher

SHED = "shed-a"


class ScriptedEdge:
    """Answers the cloud's session commands on the broker as an edge would; the test sends the rest."""

    def __init__(self, port: int, *, refuse_socket: int, silent_socket: int = 0) -> None:
        self.pub = Publisher(port)
        self.seq = 0
        self.lock = threading.Lock()
        self.refuse_socket = refuse_socket
        self.silent_socket = silent_socket  # a start_session there is never answered (a lost command)
        self.commands: list[Command] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"scripted-edge-{id(self)}")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(shed_topic(Kind.CLOUD_COMMAND, SHED), qos=1)
        self.client.loop_start()

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    def send(self, make: Any) -> None:
        """Publish ``make(seq)`` on its topic."""
        msg = make(self.next_seq())
        kind = (
            Kind.EDGE_RESULT
            if isinstance(msg, CommandResult)
            else Kind.EDGE_STATE
            if msg.__class__.__name__ == "EdgeState"
            else Kind.EDGE_EVENT
        )
        self.pub.raw(shed_topic(kind, SHED), encode(msg))

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        cmd = Command.model_validate_json(message.payload)
        self.commands.append(cmd)
        if cmd.action == "start_session" and cmd.socket == self.silent_socket:
            return
        ok = not (cmd.action == "start_session" and cmd.socket == self.refuse_socket)
        answer = "applied" if ok else "rejected"
        detail = "" if ok else "socket 4 is tripped"
        self.send(
            lambda seq: CommandResult(
                src=SHED, seq=seq, ts=cmd.ts, request_id=cmd.request_id, status=answer, detail=detail
            )
        )
        if ok and cmd.action == "start_session":
            self.send(
                lambda seq: SessionStarted(
                    src=SHED,
                    seq=seq,
                    ts=cmd.ts,
                    session=cmd.session or "",
                    device=cmd.device or "",
                    socket=cmd.socket or 0,
                    limit_wh=cmd.limit_wh,
                    limit_s=cmd.limit_s,
                )
            )
        if cmd.action == "stop_session":
            self.send(
                lambda seq: ended(seq, cmd.session or "", cmd.socket or 0, 40.0, SessionEndReason.STOPPED, cmd.ts + 1)
            )

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.pub.close()


def ended(seq: int, session: str, socket: int, wh: float, reason: SessionEndReason, ts: int) -> SessionEnded:
    return SessionEnded(
        src=SHED,
        seq=seq,
        ts=ts,
        session=session,
        device="post-1",
        socket=socket,
        energy_wh=wh,
        duration_s=60,
        reason=reason,
    )
