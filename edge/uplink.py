"""The cloud uplink: drains the outbox oldest first over QoS 1 at a bounded rate, and carries lifecycle messages.

One paho client with a persistent session. Birth (retained, with the socket snapshot)
on every connect, death as the MQTT will (retained) and on a clean stop, both with a
session counter that bumps on every connect. Rows leave the outbox only on PUBACK; after
a reconnect everything unacknowledged is sent again (the cloud deduplicates on src+seq).
"""

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from edge.outbox import Outbox
from protocol.brokerurl import BrokerUrl
from protocol.codec import encode
from protocol.mqttclient import connect_async, make_client, no_delay
from protocol.topics import Kind, shed_topic
from protocol.uplink import EdgeHeartbeat, EdgeState, SocketSnapshot

log = logging.getLogger("shedwatch.edge.uplink")

Snapshot = Callable[[], tuple[int, int, list[SocketSnapshot]]]  # -> (now_ms, config_version, sockets)
OnMessage = Callable[[str, bytes], None]


class Uplink:
    """Owns the cloud connection and the drain thread."""

    def __init__(
        self,
        *,
        url: BrokerUrl,
        shed: str,
        client_id: str,
        outbox: Outbox,
        snapshot: Snapshot,
        on_message: OnMessage,
        drain_rate_per_s: float,
        window: int,
        session_expiry_s: int,
        reconnect: tuple[int, int] = (1, 30),
        ca_file: str | None = None,
    ) -> None:
        self.url = url
        self.shed = shed
        self.outbox = outbox
        self.snapshot = snapshot
        self.on_cloud_message = on_message
        self.rate = drain_rate_per_s
        self.window = window
        self.session_expiry_s = session_expiry_s
        self.session = 0
        self.connected = threading.Event()
        self._generation = 0  # bumps on every connect: the drainer restarts from the oldest row
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._acked: collections.deque[tuple[int, int]] = collections.deque()  # (generation, mid)
        self.published = 0
        self.client = make_client(url, client_id, persistent=True, ca_file=ca_file)
        self.client.max_inflight_messages_set(max(window, 20))
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(*reconnect)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        self._set_will(self._peek_session() + 1)
        self._thread = threading.Thread(target=self._drain_loop, name="uplink-drain", daemon=True)

    def _peek_session(self) -> int:
        return self.outbox.get("session")

    def _state(self, kind: str, session: int) -> bytes:
        now, version, sockets = self.snapshot()
        return encode(
            EdgeState(
                src=self.shed,
                seq=self.outbox.last_seq,
                ts=now,
                state=kind,  # type: ignore[arg-type]
                session=session,
                config_version=version,
                sockets=sockets if kind == "birth" else [],
            )
        )

    def _set_will(self, session: int) -> None:
        self.client.will_set(shed_topic(Kind.EDGE_STATE, self.shed), self._state("death", session), qos=1, retain=True)

    def start(self) -> None:
        """Connect in the background and start draining."""
        connect_async(self.client, self.url, persistent=True, session_expiry_s=self.session_expiry_s)
        self.client.loop_start()
        self._thread.start()

    def wake(self) -> None:
        """New rows are in the outbox."""
        self._wake.set()

    def heartbeat(self, now_ms: int, uptime_s: int) -> None:
        """Publish the edge heartbeat (lifecycle: not through the outbox)."""
        if not self.connected.is_set():
            return
        hb = EdgeHeartbeat(
            src=self.shed,
            seq=self.outbox.last_seq,
            ts=now_ms,
            session=self.session,
            uptime_s=uptime_s,
            outbox_depth=self.outbox.depth(),
        )
        self.client.publish(shed_topic(Kind.EDGE_HEARTBEAT, self.shed), encode(hb), qos=1)

    def stop(self, timeout: float = 3.0) -> None:
        """Publish death (retained), disconnect cleanly and stop the threads."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self.connected.is_set():
            info = self.client.publish(
                shed_topic(Kind.EDGE_STATE, self.shed), self._state("death", self.session), qos=1, retain=True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout)
        self.client.disconnect()
        self.client.loop_stop()

    # -- paho callbacks (network thread) -----------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        try:
            self._connected(client, rc)
        except Exception:  # keep the network thread alive; the next reconnect tries again
            log.exception("cloud connect handling failed")

    def _connected(self, client: mqtt.Client, rc: ReasonCode) -> None:
        if rc.is_failure:
            log.warning("cloud broker refused the connection: %s", rc)
            return
        no_delay(client)
        self.session = self.outbox.bump("session")
        client.publish(shed_topic(Kind.EDGE_STATE, self.shed), self._state("birth", self.session), qos=1, retain=True)
        self._set_will(self.session + 1)  # the will of the next connection
        client.subscribe(
            [(shed_topic(Kind.CLOUD_COMMAND, self.shed), 1), (shed_topic(Kind.CLOUD_CONFIG, self.shed), 1)]
        )
        self._generation += 1
        self.connected.set()
        self._wake.set()
        log.info("cloud uplink connected (session %d, backlog %d)", self.session, self.outbox.depth())

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        if self.connected.is_set():
            log.warning("cloud uplink lost: %s", rc)
        self.connected.clear()
        self._wake.set()

    def _on_publish(self, _c: mqtt.Client, _u: object, mid: int, rc: ReasonCode, _p: object) -> None:
        if not rc.is_failure:
            self._acked.append((self._generation, mid))
            self._wake.set()
        else:
            log.warning("cloud broker rejected a message (mid %d): %s", mid, rc)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        self.on_cloud_message(msg.topic, bytes(msg.payload))

    # -- the drain thread ------------------------------------------------------------------------

    def _drain_loop(self) -> None:
        inflight: dict[int, int] = {}  # mid -> seq
        pointer = 0
        generation = -1
        tokens = 0.0
        last = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(0.2)
            self._wake.clear()
            try:
                if generation != self._generation or not self.connected.is_set():
                    # new connection (or none): everything unacknowledged goes again, oldest first
                    inflight.clear()
                    pointer = 0
                    generation = self._generation
                done = []
                while self._acked:
                    gen, mid = self._acked.popleft()
                    seq = inflight.pop(mid, None) if gen == generation else None
                    if seq is not None:
                        done.append(seq)
                self.outbox.ack(done)
                if not self.connected.is_set():
                    continue
                room = self.window - len(inflight)
                if room <= 0:
                    continue
                now = time.monotonic()
                tokens = min(self.rate, tokens + (now - last) * self.rate)  # at most one second of burst
                last = now
                n = min(room, int(tokens))
                if n <= 0:
                    self._stop.wait(1 / self.rate)  # wait for the next token
                    self._wake.set()
                    continue
                rows = self.outbox.after(pointer, n)
                for row in rows:
                    info = self.client.publish(row.topic, row.payload, qos=1)
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        break
                    inflight[info.mid] = row.seq
                    pointer = row.seq
                    tokens -= 1
                    self.published += 1
                if len(rows) == n:
                    self._wake.set()  # there may be more: go round again without waiting
            except Exception:  # the drainer must outlive any surprise; the rows stay on disk
                log.exception("uplink drain failed; retrying")
                self._stop.wait(1.0)
