"""The ingest worker: paho network loop in one thread, batched validate-store-acknowledge in another.

A message is acknowledged (PUBACK) only after the batch holding it is committed to
every store, using paho's manual acknowledgement. If the worker dies first, the
broker still holds the message in this worker's persistent session and delivers it
again when the worker reconnects with the same client id; the stores' (src, seq)
keys make that redelivery harmless.

After each commit the worker tells cloud.delivery which stream seqs of each shed are now
stored and publishes, retained, the shed's end-to-end acknowledgement (stored through
seq, seqs to send again, seqs given up): the edge keeps every row until then, so what a
broker drops from a queue or loses in a restart is sent again. At start it reads its
own retained acknowledgements back to know where each stream stood.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from cloud.bus.publish import Committed
from cloud.core.batch import Batch, RawMessage
from cloud.core.gaps import GapAnnouncer
from cloud.core.registry import Registry
from cloud.delivery.book import DeliveryBook
from cloud.delivery.tracker import Ack
from cloud.errors import StoreError
from cloud.ingest.batch import sort_batch
from cloud.ingest.stats import IngestStats
from cloud.ingest.timestamps import flag
from cloud.state.store import StateStore, WriteResult
from cloud.telemetry.base import TelemetryStore
from protocol.brokerurl import BrokerUrl
from protocol.clock import Clock
from protocol.codec import decode, encode
from protocol.errors import PayloadError, TopicError
from protocol.mqttclient import connect_async, make_client
from protocol.topics import Kind, parse_topic, shed_filter, shed_topic
from protocol.uplink import SeqRange, StoredAck

log = logging.getLogger(__name__)

_TELEMETRY_SUFFIX = "/" + Kind.EDGE_TELEMETRY.value.split("/")[-1]
# what someone waits for and that announces nothing: committed ahead of the telemetry queued before it
_FIRST_SUFFIXES = tuple("/" + k.value.split("/")[-1] for k in (Kind.EDGE_EVENT, Kind.EDGE_RESULT))
EDGE_KINDS = (Kind.EDGE_EVENT, Kind.EDGE_TELEMETRY, Kind.EDGE_STATE, Kind.EDGE_HEARTBEAT, Kind.EDGE_RESULT)


def subscriptions(mqtt_version: int, group: str) -> list[str]:
    """Topic filters of the edge uplink: shared on MQTT 5, plain on 3.1.1 (one worker only)."""
    filters = [shed_filter(k) for k in EDGE_KINDS]
    if mqtt_version == 5 and group:
        return [f"$share/{group}/{f}" for f in filters]
    return filters


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How one worker connects and batches."""

    broker: BrokerUrl
    client_id: str
    share_group: str = "shedwatch-ingest"
    session_expiry_s: int = 3600
    batch_max: int = 2000
    # Also cut a batch at this many payload bytes: big edge batches commit in pieces, so SQLite (which runs
    # without the GIL) overlaps with receiving the next ones, and an alarm event that arrives while one commits
    # waits for at most this much telemetry (at 2 MB, ~20,000 points, that was up to ~1 s near the store ceiling).
    batch_max_bytes: int = 250_000
    batch_delay_s: float = 0.05
    receive_max: int = 10_000
    ca_file: str | None = None  # PEM bundle of a private CA for mqtts:// brokers (default: the system CAs)
    delivery_acks: bool = True  # follow each shed's stream and publish end-to-end acknowledgements
    cloud_id: str = "cloud"  # src of the acknowledgements this worker publishes
    ack_tick_s: float = 0.5  # how often open gaps are looked at when no batch comes


class IngestWorker:
    """Consumes the edge uplink into the telemetry and state stores."""

    def __init__(
        self,
        options: WorkerOptions,
        *,
        telemetry: TelemetryStore,
        state: StateStore,
        registry: Registry,
        clock: Clock,
        committed: Committed | None = None,
        heard: Callable[[Batch], None] | None = None,
    ) -> None:
        self.options = options
        # Told of every stored batch (the alarm rules' per-device record, cloud.alarms.heard).
        self.heard = heard
        self.telemetry = telemetry
        self.state = state
        self.registry = registry
        self.clock = clock
        self.committed = committed
        self.stats = IngestStats()
        self.delivery = DeliveryBook()
        self.gaps = GapAnnouncer()  # which gaps were announced as domain events
        self._flag_logged: set[tuple[str, str]] = set()  # (shed, flag) logged once each
        self._last_ack_tick = 0.0
        # (connection generation, mid, qos, message): packet ids mean something only on the connection
        # that delivered them, so a message taken before a reconnect is stored but never acknowledged by
        # its stale mid (the broker redelivers it; the stores drop the copy, and that copy is acked).
        self._queue: deque[tuple[int, int, int, RawMessage]] = deque()
        self._generation = 0
        self._queued_bytes = 0
        self._urgent = False  # a non-telemetry message is queued: cut the batch now
        # Acknowledgements of committed batches, sent by the network thread on its next message: a PUBACK
        # queued from another thread wakes paho's loop once per packet, which costs more than the ingest.
        self._acks: list[tuple[int, int]] = []
        self._acks_since = 0.0
        self._cond = threading.Condition()
        self._stopping = False
        self._writer: threading.Thread | None = None
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        o = self.options
        client = make_client(
            o.broker, o.client_id, persistent=True, ca_file=o.ca_file, manual_ack=True, logger="shedwatch.cloud.paho"
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.reconnect_delay_set(1, 5)
        return client

    # -- paho thread ----------------------------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: Properties | None
    ) -> None:
        if reason.is_failure:
            log.warning("ingest: broker refused connection: %s", reason)
            return
        self.stats.connected = True
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self._queued_bytes = 0
            self._acks.clear()  # packet ids of the old connection: the broker redelivers those messages
        filters = subscriptions(self.options.broker.mqtt_version, self.options.share_group)
        # our own retained acknowledgements, read back: where each shed's stream stood before we started
        if self.options.delivery_acks:
            filters = [*filters, shed_filter(Kind.CLOUD_ACK)]
        client.subscribe([(f, 1) for f in filters])
        log.info("ingest: connected to %s as %s", self.options.broker, self.options.client_id)

    def _on_subscribe(self, _c: mqtt.Client, _u: object, _mid: int, reasons: list[ReasonCode], _p: object) -> None:
        failed = [r for r in reasons if r.is_failure]
        if failed:
            log.error("ingest: subscription refused: %s", failed)
        else:
            self.stats.subscribed = True
            log.info("ingest: subscribed")

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        self.stats.connected = False
        self.stats.subscribed = False
        if not self._stopping:
            log.warning("ingest: disconnected (%s), reconnecting", reason)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = msg._topic.decode("utf-8", "replace")
        if topic.endswith("/ack") and topic.startswith("sw/v1/cloud/"):
            self._recover_ack(topic, bytes(msg.payload))
            if msg.qos:
                self._client.ack(msg.mid, msg.qos)
            return
        raw = RawMessage(topic, bytes(msg.payload), self.clock.now_ms())
        if self._acks:
            self._send_acks()
        with self._cond:
            self._queue.append((self._generation, msg.mid, msg.qos, raw))
            self._queued_bytes += len(raw.payload)
            if not topic.endswith(_TELEMETRY_SUFFIX):
                # An event, result or state is what someone waits for (a command's answer, an alarm):
                # commit it now. Only telemetry waits to gather into bigger batches.
                self._urgent = True
            if self._urgent or self._full():
                self._cond.notify()

    def _recover_ack(self, topic: str, payload: bytes) -> None:
        try:
            if parse_topic(topic).kind is not Kind.CLOUD_ACK:
                return
            ack = decode(Kind.CLOUD_ACK, payload)
        except (PayloadError, TopicError) as exc:
            log.warning("ingest: ignored an invalid acknowledgement on %s: %s", topic, exc)
            return
        if isinstance(ack, StoredAck):
            self.delivery.recover(ack)
            self.gaps.already_lost(ack.shed, [(r.first, r.last) for r in ack.lost])

    def _publish_acks(self, due: list[tuple[str, Ack]]) -> None:
        if not self.options.delivery_acks:
            return
        self._announce_gaps(due)
        now = self.clock.now_ms()
        for shed, ack in due:
            msg = StoredAck(
                src=self.options.cloud_id,
                seq=0,
                ts=now,
                shed=shed,
                stored_seq=ack.stored_seq,
                highest_seq=ack.highest_seq,
                resend=[SeqRange(first=a, last=b) for a, b in ack.resend],
                lost=[SeqRange(first=a, last=b) for a, b in ack.lost],
                edge_session=ack.edge_session,
            )
            if ack.resend:
                log.warning("ingest: shed %s: asking again for seqs %s", shed, _fmt(ack.resend))
            if ack.newly_lost:
                # a gap that cannot be closed: the edge no longer holds these (shown on /healthz → delivery)
                self.stats.lost += sum(b - a + 1 for a, b in ack.newly_lost)
                log.error("ingest: shed %s: seqs %s are lost (asked again, never came)", shed, _fmt(ack.newly_lost))
            self._client.publish(shed_topic(Kind.CLOUD_ACK, shed), encode(msg), qos=1, retain=True)

    def _announce_gaps(self, due: list[tuple[str, Ack]]) -> None:
        # A range asked for again, then one given up, each becomes one GapDetected on the bus (via the feed).
        now = self.clock.now_ms()
        events = [e for shed, ack in due for e in self.gaps.announce(shed, ack.resend, ack.newly_lost, now_ms=now)]
        if not events:
            return
        try:
            stored = self.state.append_events(list(events))
        except StoreError as exc:  # the gap stays on /healthz → delivery; only its event is missing
            log.error("ingest: could not store %d gap event(s): %s", len(events), exc)
            return
        if self.committed is not None:
            try:
                self.committed(stored, {})
            except Exception:
                log.exception("ingest: publishing gap events failed (the feed has them)")

    def _full(self) -> bool:
        return len(self._queue) >= self.options.batch_max or self._queued_bytes >= self.options.batch_max_bytes

    # -- writer thread --------------------------------------------------------------------------

    def _take(self) -> list[tuple[int, int, int, RawMessage]]:
        o = self.options
        with self._cond:
            if not self._queue:
                self._cond.wait(o.batch_delay_s)
            if not self._full() and not self._stopping and not self._urgent:
                # Let a trickle of telemetry gather for one delay so writes stay batched.
                self._cond.wait_for(lambda: self._full() or self._stopping or self._urgent, o.batch_delay_s)
            urgent, self._urgent = self._urgent, False
            if urgent:
                first = self._take_first()
                if first:
                    return first
            items: list[tuple[int, int, int, RawMessage]] = []
            size = 0
            while self._queue and len(items) < o.batch_max and size < o.batch_max_bytes:
                item = self._queue.popleft()
                items.append(item)
                size += len(item[3].payload)
            self._queued_bytes -= size
            return items

    def _take_first(self) -> list[tuple[int, int, int, RawMessage]]:
        """Every queued event and command result, in arrival order, leaving the rest for the next batch.

        An alarm event then commits in a small transaction of its own instead of after (and with) a batch of
        telemetry that can take a large part of a second to store. Its seq may pass telemetry seqs of its shed
        still queued: the delivery tracker waits ``grace_ms`` before asking for a gap, and they follow at once.
        States and heartbeats keep their place behind the telemetry before them (their announced seqs set
        where a stream starts); when only those are urgent this returns nothing and the batch is taken whole.
        Caller holds ``self._cond``.
        """
        items: list[tuple[int, int, int, RawMessage]] = []
        rest: deque[tuple[int, int, int, RawMessage]] = deque()
        size = 0
        for item in self._queue:
            if item[3].topic.endswith(_FIRST_SUFFIXES) and len(items) < self.options.batch_max:
                items.append(item)
                size += len(item[3].payload)
            else:
                rest.append(item)
        if not items:
            return items
        self._queue = rest
        self._queued_bytes -= size
        # more urgent messages than one batch, or a state or heartbeat: the next batch is cut at once too
        self._urgent = any(not item[3].topic.endswith(_TELEMETRY_SUFFIX) for item in rest)
        return items

    def _send_acks(self) -> None:
        with self._cond:
            acks, self._acks = self._acks, []
        for mid, qos in acks:
            self._client.ack(mid, qos)

    def _run(self) -> None:
        while True:
            items = self._take()
            if items:
                self._process(items)
            # No message came to carry them (the stream paused): send them from here.
            if self._acks and time.monotonic() - self._acks_since >= self.options.batch_delay_s:
                self._send_acks()
            if time.monotonic() - self._last_ack_tick >= self.options.ack_tick_s:
                self._last_ack_tick = time.monotonic()
                self._publish_acks(self.delivery.due(self.clock.now_ms()))
            if not items and self._stopping:
                return

    def _process(self, items: list[tuple[int, int, int, RawMessage]]) -> None:
        batch = sort_batch([raw for *_, raw in items], self.registry)
        self.delivery.drop_held(batch)  # one (src, seq) is one message, across telemetry, events and results
        delay = 0.2
        while True:
            try:
                new = self.telemetry.write([rows for rows, _ in batch.telemetry])
                result: WriteResult = self.state.write(batch)
                new += result.new
                break
            except StoreError as exc:
                # Nothing is acknowledged, so nothing is lost: retry until the store is back or we stop.
                self.stats.store_errors += 1
                log.error("ingest: store failed, retrying in %.1fs: %s", delay, exc)
                if self._stopping:
                    return
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        with self._cond:
            if not self._acks:
                self._acks_since = time.monotonic()
            current = self._generation
            self._acks += [(mid, qos) for gen, mid, qos, _ in items if qos and gen == current]
        self._publish_acks(self.delivery.due(self.clock.now_ms(), self.delivery.committed(batch)))
        s = self.stats
        s.received += len(items)
        s.batches += 1
        stream = len(batch.telemetry) + len(batch.events) + len(batch.results)
        s.duplicates += batch.duplicates + stream - new
        s.stored += batch.accepted - (stream - new)
        for r in batch.rejects:
            s.rejects[r.reason] += 1
        for m, rx in (*batch.telemetry, *batch.events, *batch.results):
            mark = flag(m.ts, rx)
            if mark is not None:
                s.flagged[mark] += 1
                if (m.src, mark) not in self._flag_logged:
                    self._flag_logged.add((m.src, mark))
                    log.warning(
                        "ingest: shed %s sends %s data (seq %d, ts %d, received %d): stored",
                        m.src,
                        mark,
                        m.seq,
                        m.ts,
                        rx,
                    )
        if batch.rejects:
            log.warning(
                "ingest: rejected %d message(s), first: %s %s",
                len(batch.rejects),
                batch.rejects[0].reason,
                batch.rejects[0].detail,
            )
        if self.committed is not None:
            try:
                self.committed(result.events, result.sheds)
            except Exception:
                log.exception("ingest: publishing what was stored failed (the store and its feed have it)")
        # After the bus heard of the batch's events (an alarm waits for those); the record is for timer passes.
        if self.heard is not None:
            try:
                self.heard(batch)
            except Exception:
                log.exception("ingest: recording what was heard failed (stored all the same)")

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect (retrying in the background) and start consuming."""
        o = self.options
        self._writer = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._writer.start()
        connect_async(
            self._client,
            o.broker,
            persistent=True,
            session_expiry_s=o.session_expiry_s,
            keepalive=30,
            receive_max=o.receive_max,
        )
        self._client.loop_start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in hand, acknowledge it, and disconnect (the rest stays queued at the broker)."""
        # Stop taking new messages first: anything not yet taken stays unacknowledged and is redelivered.
        self._client.on_message = None
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._queued_bytes = 0
            self._cond.notify_all()
        if self._writer is not None:
            self._writer.join(timeout)
        self._send_acks()
        self._client.disconnect()
        self._client.loop_stop()


def _fmt(ranges: list[tuple[int, int]]) -> str:
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges[:10])
