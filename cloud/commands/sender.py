"""Send commands to edges over the cloud broker, audit them, wait for the edge's answer or time them out.

The answer comes back the way every edge message does: the edge's CommandResult is
stored by ingest, which also writes it onto the command's audit row in the same
transaction and publishes a CommandAnswered event. A sender in the ingest process waits
on the bus; one in another process (the CLI) polls the audit row.
"""

import threading
import time
import uuid

import paho.mqtt.client as mqtt

from cloud.bus.local import Bus
from cloud.commands.request import FINAL, CommandRecord, build, target_of, timed_out
from cloud.core.events import AnyEvent, CommandAnswered
from cloud.errors import CloudError
from cloud.state.store import StateStore
from protocol.brokerurl import BrokerUrl
from protocol.clock import Clock
from protocol.codec import encode
from protocol.commands import Action, Command
from protocol.config import ConfigPush, ShedConfig
from protocol.envelope import EPOCH_MS_MAX
from protocol.mqttclient import MqttError, connect_async, make_client
from protocol.topics import Kind, shed_topic

ANSWER_GRACE_MS = 2_000  # after the expiry, time for an "expired" answer to travel back


class CommandSender:
    """One MQTT connection for commands; ``bus`` given when ingest runs in this process."""

    def __init__(
        self, store: StateStore, broker: BrokerUrl, clock: Clock, *, bus: Bus | None = None, ca_file: str | None = None
    ) -> None:
        self.store = store
        self.broker = broker
        self.clock = clock
        self._answered: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        try:
            self._client = make_client(
                broker, f"sw-cloud-cmd-{uuid.uuid4().hex[:8]}", persistent=False, ca_file=ca_file
            )
        except MqttError as exc:  # e.g. a CA file that cannot be read
            raise CloudError(str(exc)) from None
        self._client.on_connect = lambda *_a: self._connected.set()
        self._sub = bus.subscribe(self._on_event, name="commands", kinds=(CommandAnswered,)) if bus else None

    def start(self, timeout_s: float = 10.0) -> None:
        """Connect; raises CloudError when the broker cannot be reached or does not accept us in time."""
        try:
            connect_async(self._client, self.broker, persistent=False, keepalive=30)
        except MqttError as exc:
            raise CloudError(str(exc)) from None
        self._client.loop_start()
        if not self._connected.wait(timeout_s):
            self.stop()
            raise CloudError(f"command broker {self.broker} did not accept a connection within {timeout_s:g} s")

    def stop(self) -> None:
        """Disconnect."""
        if self._sub is not None:
            self._sub.unsubscribe()
        self._client.disconnect()
        self._client.loop_stop()

    def _on_event(self, event: AnyEvent) -> None:
        if isinstance(event, CommandAnswered):
            with self._lock:
                waiter = self._answered.get((event.shed, event.request_id))
            if waiter is not None:
                waiter.set()

    def send(
        self,
        shed: str,
        action: Action,
        *,
        actor: str,
        ttl_s: float = 30.0,
        device: str | None = None,
        socket: int | None = None,
        session: str | None = None,
        limit_wh: float | None = None,
        limit_s: float | None = None,
    ) -> Command:
        """Audit, then publish (QoS 1) one command; returns it (its request_id is what to wait for).

        ``session``, ``limit_wh``, ``limit_s``: a charging session's start_session / stop_session fields.
        """
        now = self.clock.now_ms()
        cmd = build(
            shed,
            action,
            request_id=uuid.uuid4().hex,
            actor=actor,
            now_ms=now,
            ttl_s=ttl_s,
            device=device,
            socket=socket,
            session=session,
            limit_wh=limit_wh,
            limit_s=limit_s,
        )
        self._audit(shed, cmd.request_id, action, actor, target_of(cmd), now, cmd.expires_at)
        self._publish(shed_topic(Kind.CLOUD_COMMAND, shed), encode(cmd), retain=False)
        return cmd

    def push_config(self, config: ShedConfig, *, actor: str) -> str:
        """Publish a config version retained (the edge applies newer versions only); the request id to wait for.

        The edge answers a push with request id ``config-{version}``.
        """
        now = self.clock.now_ms()
        request_id = f"config-{config.version}"
        self._audit(
            config.shed, request_id, "push_config", actor, f"config v{config.version}", now, EPOCH_MS_MAX
        )  # a retained push never expires
        push = ConfigPush(src="cloud", seq=config.version, ts=now, config=config, actor=actor)
        self._publish(shed_topic(Kind.CLOUD_CONFIG, config.shed), encode(push), retain=True)
        return request_id

    def forget(self, shed: str, request_id: str) -> None:
        """Stop tracking a command nobody will ``wait`` for (the API answers its result from the audit row)."""
        with self._lock:
            self._answered.pop((shed, request_id), None)

    def _audit(self, shed: str, rid: str, action: str, actor: str, target: str, now: int, expires: int) -> None:
        with self._lock:
            self._answered[(shed, rid)] = threading.Event()
        self.store.record_command(CommandRecord(rid, shed, action, actor, target, now, expires, "sent", "", None))

    def _publish(self, topic: str, payload: bytes, *, retain: bool) -> None:
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise CloudError(f"publishing to {topic} failed: {mqtt.error_string(info.rc)}")

    def wait(self, shed: str, request_id: str, timeout_s: float, *, config_version: int = 0) -> CommandRecord:
        """The command's audit row once answered, or settled as timed out after ``timeout_s`` (real seconds).

        ``config_version``: for a push, an edge that already runs this version answers nothing (it ignores an
        equal version) but states it in its birth: that settles the push as applied.
        """
        deadline = time.monotonic() + timeout_s
        with self._lock:
            waiter = self._answered.get((shed, request_id))
        while True:
            record = self.store.command(shed, request_id)
            if record is None:
                raise CloudError(f"no command {request_id} for {shed}")
            if record.status in FINAL:
                break
            now = self.clock.now_ms()
            if settle_due(self.store, record, now, config_version=config_version):
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                self.store.settle_command(shed, request_id, "timed_out", "no answer in time", now)
                continue
            if waiter is not None and self._sub is not None and not config_version:
                waiter.wait(min(left, 1.0))
            else:
                time.sleep(min(left, 0.02))
        with self._lock:
            self._answered.pop((shed, request_id), None)
        return record


def settle_due(store: StateStore, record: CommandRecord, now_ms: int, *, config_version: int = 0) -> bool:
    """Settle a command still ``sent`` whose outcome is known without an answer; True when it settled one.

    A push of ``config_version`` the edge's birth already reports is ``applied`` (an edge ignores a version it
    runs, so it answers nothing); a command past its expiry plus ``ANSWER_GRACE_MS`` is ``timed_out``.
    """
    if record.status != "sent":
        return False
    if config_version and store.reported_config_version(record.shed) >= config_version:
        detail = f"the edge's birth reports version {config_version}"
        return store.settle_command(record.shed, record.request_id, "applied", detail, now_ms)
    if timed_out(record, now_ms, ANSWER_GRACE_MS):
        return store.settle_command(record.shed, record.request_id, "timed_out", "no answer in time", now_ms)
    return False
