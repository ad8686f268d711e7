"""Helpers for edge integration tests: config files, the agent as a subprocess, a recording
subscriber, device publishers and a tiny relay responder (no simulator needed)."""

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from protocol.clock import SystemClock
from protocol.codec import decode_message, encode
from protocol.commands import Action, Command
from protocol.device import (
    EnvironmentReading,
    PostTelemetry,
    RelayCommand,
    RelayResult,
    SocketReading,
    SocketState,
)
from protocol.topics import Kind, device_topic, parse_topic
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[3]


def write_config(
    path: Path,
    *,
    shed_broker: str,
    cloud_broker: str,
    data_dir: Path,
    shed: str = "shed-a",
    posts: int = 1,
    sockets: int = 4,
    sensors: tuple[str, ...] = ("env-1",),
    extinguishers: tuple[str, ...] = ("ext-1",),
    batch_interval_s: float = 0.5,
    agent_extra: str = "",
    thresholds: str = "",
    ack: str = "broker",
) -> Path:
    """A shed TOML in the shared format.

    ``ack`` is "broker" by default: these tests play the cloud with a recorder that publishes no
    end-to-end acknowledgements; tests with the real cloud ingest pass "cloud".
    """
    post_tables = "".join(f'[[shed.posts]]\nid = "post-{i}"\nsockets = {sockets}\n\n' for i in range(1, posts + 1))
    text = f"""[agent]
shed_broker = "{shed_broker}"
cloud_broker = "{cloud_broker}"
data_dir = "{data_dir}"
heartbeat_s = 1.0
reconnect_max_s = 2
ack = "{ack}"
{agent_extra}

[shed]
shed = "{shed}"
community = "jinsong-north"
extinguishers = {list(extinguishers)!r}
sensors = {list(sensors)!r}
batch_interval_s = {batch_interval_s}

{post_tables}
[shed.thresholds]
{thresholds}
"""
    path.write_text(text.replace("'", '"'))
    return path


def command(request_id: str, action: Action, *, expires_in_s: float = 60, **fields: Any) -> bytes:
    """A cloud command's payload, signed by guard-7 and valid for ``expires_in_s`` from now."""
    now = SystemClock().now_ms()
    return encode(
        Command(
            src="cloud",
            seq=1,
            ts=now,
            request_id=request_id,
            expires_at=now + int(expires_in_s * 1000),
            actor="guard-7",
            action=action,
            **fields,
        )
    )


class AgentProcess:
    """`python -m shedwatch edge` as a real subprocess."""

    def __init__(self, config: Path, log: Path, clock: str = "real") -> None:
        self.config = config
        self.log = log
        self.clock = clock
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> "AgentProcess":
        """Start the agent."""
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shedwatch", "edge", "--config", str(self.config), "--clock", self.clock],
            cwd=REPO,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        fh.close()
        return self

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL, as a power cut would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self) -> str:
        """What the agent logged."""
        return self.log.read_text(errors="replace")


def client(url: str, client_id: str, *, clean: bool = True, ca_file: str | None = None) -> mqtt.Client:
    """A connected paho MQTT 5 client with its network loop running (credentials from the URL)."""
    from protocol.brokerurl import BrokerUrl

    parsed = BrokerUrl.parse(url)
    host, port = parsed.host, parsed.port
    version = MQTTProtocolVersion.MQTTv5 if parsed.mqtt_version == 5 else MQTTProtocolVersion.MQTTv311
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version)
    if parsed.username:
        c.username_pw_set(parsed.username, parsed.password)
    if parsed.tls:
        c.tls_set(ca_certs=ca_file)
    connected = threading.Event()
    c.on_connect = lambda *_a: connected.set()
    if clean or parsed.mqtt_version != 5:
        c.connect(host, int(port))
    else:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        c.connect(host, int(port), clean_start=False, properties=props)
    c.loop_start()
    assert connected.wait(10), f"could not connect to {url}"
    return c


class Recorder:
    """Subscribes to filters and keeps every decoded message with its topic."""

    def __init__(
        self,
        url: str,
        filters: list[str],
        *,
        client_id: str = "recorder",
        clean: bool = True,
        ca_file: str | None = None,
    ) -> None:
        self.ca_file = ca_file
        self.messages: list[tuple[str, Any]] = []
        self.raw: list[tuple[str, bytes]] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.filters = filters
        self.url = url
        self.client_id = client_id
        self.clean = clean
        self.client = self._connect()

    def _connect(self) -> mqtt.Client:
        subscribed = threading.Event()
        c = client(self.url, self.client_id, clean=self.clean, ca_file=self.ca_file)
        c.on_message = self._on_message
        c.on_subscribe = lambda *_a: subscribed.set()
        c.on_connect = lambda cl, *_a: cl.subscribe([(f, 1) for f in self.filters])
        c.subscribe([(f, 1) for f in self.filters])
        assert subscribed.wait(10)
        return c

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.raw.append((msg.topic, bytes(msg.payload)))
        try:
            _, message = decode_message(msg.topic, bytes(msg.payload))
        except Exception as exc:
            with self.lock:
                self.errors.append(f"{msg.topic}: {exc}")
            return
        with self.lock:
            self.messages.append((msg.topic, message))

    def of(self, kind: Kind) -> list[Any]:
        """Messages of one topic kind, in arrival order."""
        with self.lock:
            return [m for t, m in self.messages if parse_topic(t).kind == kind]

    def events(self, type_: str | None = None) -> list[Any]:
        """Edge events (optionally of one type)."""
        return [e for e in self.of(Kind.EDGE_EVENT) if type_ is None or e.type == type_]

    def wait(self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
        """Poll until predicate() is truthy; return its value."""
        return wait_until(predicate, timeout=timeout, interval=0.02, what=what)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


class Devices:
    """Publishes device messages on the shed broker like real posts and sensors would."""

    def __init__(self, url: str, shed: str = "shed-a", client_id: str = "devices") -> None:
        self.shed = shed
        self.client = client(url, client_id)
        self.seq = 0
        self.clock = SystemClock()

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def telemetry(self, post: str, readings: list[SocketReading], ts: int | None = None) -> None:
        """Publish one post telemetry message."""
        msg = PostTelemetry(
            src=post,
            seq=self._next(),
            ts=ts or self.clock.now_ms(),
            total_power_w=sum(r.power_w for r in readings),
            sockets=readings,
        )
        self.client.publish(device_topic(Kind.POST_TELEMETRY, self.shed, post), encode(msg), qos=1).wait_for_publish(5)

    def environment(self, sensor: str, **over: Any) -> None:
        """Publish one environment reading (normal values unless overridden)."""
        values: dict[str, Any] = dict(
            temp_c=22.0, smoke_obscuration_pct_m=0.0, smoke_alarm=False, h2_ppm=0.0, co_ppm=0.0, voc_ppm=0.0
        )
        values.update(over)
        msg = EnvironmentReading(src=sensor, seq=self._next(), ts=self.clock.now_ms(), **values)
        self.client.publish(device_topic(Kind.ENVIRONMENT, self.shed, sensor), encode(msg), qos=1).wait_for_publish(5)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def reading(
    socket: int, power_w: float = 0.0, *, relay: bool = True, temp_c: float = 25.0, plugged: bool = True
) -> SocketReading:
    """One socket reading with consistent current and voltage."""
    return SocketReading(
        socket=socket,
        voltage_v=220.0,
        current_a=round(power_w / 220.0, 3),
        power_w=power_w,
        energy_wh=0.0,
        temp_c=temp_c,
        relay=relay,
        state=SocketState.PLUGGED if plugged else SocketState.EMPTY,
    )


class RelayResponder:
    """Answers every RelayCommand of a shed with an ok RelayResult (a post that obeys).

    A post-level command (no socket) is answered with one result per socket, 1..``sockets``.
    """

    def __init__(
        self, url: str, shed: str = "shed-a", client_id: str = "responder", post: str = "+", sockets: int = 4
    ) -> None:
        self.shed = shed
        self.sockets = sockets
        self.commands: list[RelayCommand] = []
        self.client = client(url, client_id)
        self.client.on_message = self._on_message
        done = threading.Event()
        self.client.on_subscribe = lambda *_a: done.set()
        self.client.subscribe(f"sw/v1/shed/{shed}/dev/{post}/relay/set", qos=1)
        assert done.wait(10)
        self.seq = 0

    def _on_message(self, c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        topic, cmd = decode_message(msg.topic, bytes(msg.payload))
        self.commands.append(cmd)
        for socket in range(1, self.sockets + 1) if cmd.socket is None else (cmd.socket,):
            self.seq += 1
            result = RelayResult(
                src=topic.device,
                seq=self.seq,
                ts=SystemClock().now_ms(),
                request_id=cmd.request_id,
                socket=socket,
                ok=True,
                relay=cmd.on,
            )
            c.publish(device_topic(Kind.RELAY_RESULT, self.shed, topic.device or ""), encode(result), qos=1)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()
