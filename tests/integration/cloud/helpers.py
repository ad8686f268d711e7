"""Edge messages built from protocol models, published like an edge would (no edge agent needed)."""

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from pydantic import BaseModel

from protocol.codec import encode
from protocol.topics import Kind, shed_topic
from protocol.uplink import (
    EdgeHeartbeat,
    EdgeState,
    InterlockAction,
    SocketSnapshot,
    SocketStatus,
    SocketStatusChanged,
    TelemetryBatch,
    TelemetryPoint,
)
from tests.waiting import wait_until

if TYPE_CHECKING:
    from cloud.core.batch import Batch

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z


def status(
    shed: str, seq: int, device: str, socket: int, st: SocketStatus, ts: int | None = None
) -> SocketStatusChanged:
    """A SocketStatusChanged event."""
    return SocketStatusChanged(src=shed, seq=seq, ts=ts or T0 + seq * 1000, device=device, socket=socket, status=st)


def birth(
    shed: str,
    seq: int,
    sockets: dict[tuple[str, int], SocketStatus],
    session: int = 1,
    stopped: Iterable[tuple[str, int]] = (),
) -> EdgeState:
    """A birth certificate with a socket snapshot (``stopped``: sockets an operator's stop holds off)."""
    held = set(stopped)
    snap = [SocketSnapshot(device=d, socket=n, status=s, stopped=(d, n) in held) for (d, n), s in sockets.items()]
    return EdgeState(src=shed, seq=seq, ts=T0 + seq * 1000, state="birth", session=session, sockets=snap)


def operator(shed: str, seq: int, device: str, socket: int, *, stop: bool, actor: str = "op-1") -> InterlockAction:
    """The edge's interlock event for a stop_socket (``stop``) or start_socket command it applied."""
    action, reason = ("cut", "operator_stop") if stop else ("restore", "operator_start")
    return InterlockAction.model_validate(
        {"src": shed, "seq": seq, "ts": T0 + seq * 1000, "action": action, "scope": "socket", "reason": reason}
        | {"device": device, "socket": socket, "actor": actor}
    )


def telemetry(shed: str, seq: int, points: int = 1, device: str = "post-1") -> TelemetryBatch:
    """A telemetry batch of ``points`` readings."""
    pts = [
        TelemetryPoint(
            ts=T0 + seq * 1000 + i, device=device, socket=1 + i % 10, fields={"power_w": float(i), "temp_c": 20.0}
        )
        for i in range(points)
    ]
    return TelemetryBatch(src=shed, seq=seq, ts=T0 + seq * 1000, points=pts)


KIND_OF = {
    SocketStatusChanged: Kind.EDGE_EVENT,
    EdgeState: Kind.EDGE_STATE,
    EdgeHeartbeat: Kind.EDGE_HEARTBEAT,
    TelemetryBatch: Kind.EDGE_TELEMETRY,
}


def topic_of(message: BaseModel) -> str:
    """The uplink topic for a message (events of every type go to /event)."""
    kind = KIND_OF.get(type(message), Kind.EDGE_EVENT)
    return shed_topic(kind, message.src)  # type: ignore[attr-defined]


class Publisher:
    """A paho QoS 1 publisher that waits for every PUBACK."""

    def __init__(self, url_port: int, *, protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"test-pub-{time.monotonic_ns()}", protocol=protocol
        )
        self.client.connect("127.0.0.1", url_port)
        self.client.loop_start()

    def raw(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """Publish bytes as they are."""
        info = self.client.publish(topic, payload, qos=qos)
        info.wait_for_publish(10)

    def send(self, messages: Iterable[BaseModel]) -> None:
        """Publish models on their topics and wait for every acknowledgement."""
        infos = [self.client.publish(topic_of(m), encode(m), qos=1) for m in messages]
        for info in infos:
            info.wait_for_publish(10)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def wait_for(cond: Callable[[], object], timeout: float = 15.0, what: str = "condition") -> object:
    """Poll until cond() is truthy or fail naming what was awaited."""
    return wait_until(cond, timeout=timeout, interval=0.05, what=what)


def batch_of(*messages: object) -> "Batch":
    """A validated batch as ingest would sort it; each message arrives at T0 + its seq (ms)."""
    from cloud.core.batch import Batch
    from protocol.uplink import CommandResult, EdgeHeartbeat

    b = Batch()
    for m in messages:
        rx = T0 + m.seq  # type: ignore[attr-defined]
        if isinstance(m, EdgeState):
            b.states.append((m, rx))
        elif isinstance(m, EdgeHeartbeat):
            b.heartbeats.append((m, rx))
        elif isinstance(m, CommandResult):
            b.results.append((m, rx))
        else:
            b.events.append((m, rx))  # type: ignore[arg-type]
    return b
