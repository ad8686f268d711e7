"""The cloud uplink: drains the outbox oldest first over QoS 1 at a bounded rate, and carries lifecycle messages.

One paho client with a persistent session. Birth (retained, with the socket snapshot)
on every connect, death as the MQTT will (retained) and on a clean stop, both with a
session counter that bumps on every connect. Rows leave the outbox only on PUBACK; after
a reconnect everything unacknowledged is sent again (the cloud deduplicates on src+seq).

Events and command results leave before any telemetry, so an interlock never waits
behind a backlog. No payload larger than the cloud broker's Maximum Packet Size (from the
MQTT 5 CONNACK, or learned from a "packet too large" disconnect) is ever sent: a too-large
telemetry batch is thinned in place, anything still too large, and any row the broker
refuses in its PUBACK, is parked (kept on disk, counted, logged) so it never stalls the
rows behind it. A session taken over by another client with our id (a copied config)
raises a trouble alarm and backs off (edge.takeover).

An edge whose store is new (first start, or a lost data directory) would start its session counter at 1
again, and the cloud, which judges births, deaths and heartbeats by session, would take it for a stale
one. So before its first birth it learns the newest session the cloud knows for its shed: from the
retained StoredAck (``edge_session``) and from its own retained state topic (the only source when
delivery acks are off). If that is at or above its counter, it moves the counter above it and
reconnects once, cleanly (no will published), so that its will, fixed before CONNECT, carries the new
number as well as its birth (see ``session_decision``).
"""

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from edge.batching import payload_limit
from edge.outbox import KIND_TELEMETRY, Outbox
from edge.takeover import SESSION_TAKEN_OVER, TakeoverGuard
from protocol.brokerurl import BrokerUrl
from protocol.codec import decode, encode
from protocol.errors import PayloadError
from protocol.mqttclient import OncePerOutage, connect_async, make_client, no_delay
from protocol.topics import Kind, shed_topic
from protocol.uplink import EdgeHeartbeat, EdgeState, RejectCount, SocketSnapshot, StoredAck

log = logging.getLogger("shedwatch.edge.uplink")

Snapshot = Callable[[], tuple[int, int, list[SocketSnapshot]]]  # -> (now_ms, config_version, sockets)
OnMessage = Callable[[str, bytes], None]
OnTrouble = Callable[[str, bool, str], None]  # alarm_type, active, message

PACKET_TOO_LARGE = 0x95  # MQTT 5 reason code (OASIS MQTT 5.0, section 2.4)


def session_decision(own: int, known: int) -> int | None:
    """For a new store: the counter to move to before the first birth, or None to keep ``own``.

    ``own``: the persisted session counter (the next birth bumps it to ``own + 1``, and the will set before
    CONNECT says ``own + 1``); ``known``: the newest session the cloud (or the retained state) knows for the
    shed. Both must be above ``known``: only a counter below it has to move.
    """
    return known if known > own else None


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
        on_trouble: OnTrouble | None = None,
        rejects: Callable[[], list[tuple[str, str, int]]] | None = None,
        ack: str = "cloud",
        fresh_wait_s: float = 2.0,
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
        # (generation, mid, refusal reason or None)
        self._acked: collections.deque[tuple[int, int, str | None]] = collections.deque()
        self.published = 0
        self.on_trouble = on_trouble
        self.end_to_end = ack == "cloud"
        self.fresh_wait_s = fresh_wait_s
        self._connected_at = 0.0
        self._resend_after: int | None = None  # set by a cloud ack: send again everything above this seq
        self.stored_seq = 0  # the cloud's last acknowledgement
        self.idle = threading.Event()  # nothing waiting to be sent or confirmed by the broker
        self.rejects = rejects
        self.reconnect = reconnect
        self.guard = TakeoverGuard()
        self.refused: collections.Counter[str] = collections.Counter()  # parked rows by reason
        # the broker's Maximum Packet Size (bytes): from CONNACK, else learned; kept on disk for batching
        self.max_packet: int | None = self.outbox.get("max_packet_size") or None
        self._largest_inflight = 0
        self.outage = OncePerOutage()  # one line per outage, not an error per reconnect attempt
        self.client = make_client(
            url, client_id, persistent=True, ca_file=ca_file, logger="shedwatch.edge.paho", log_filter=self.outage
        )
        self.client.max_inflight_messages_set(max(window, 20))
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(*reconnect)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        # a new store learns the shed's newest session before its first birth
        self._learn_session = self._peek_session() == 0  # no birth from this store yet
        self._renumbering = False
        self._known_session = 0  # the newest session heard of (retained ack or retained state)
        self._ack_heard = False
        self._state_heard = False
        self._birth_lock = threading.Lock()
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
                oldest_seq=self.outbox.oldest(),
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
        """Publish the edge heartbeat (lifecycle: not through the outbox; QoS 0: live only, never queued)."""
        if not self.connected.is_set() or self._learn_session or self.session == 0:
            return  # no birth yet: a heartbeat must not speak for a session the cloud has not heard
        hb = EdgeHeartbeat(
            src=self.shed,
            seq=self.outbox.last_seq,
            ts=now_ms,
            session=self.session,
            uptime_s=uptime_s,
            outbox_depth=self.outbox.depth(),
            oldest_seq=self.outbox.oldest(),
            rejects=[RejectCount(reason=r, topic=t, count=n) for r, t, n in self._reject_counts()][:512],
        )
        self.client.publish(shed_topic(Kind.EDGE_HEARTBEAT, self.shed), encode(hb), qos=0)

    def _reject_counts(self) -> list[tuple[str, str, int]]:
        counts = list(self.rejects()) if self.rejects is not None else []
        return counts + [(reason, "cloud_uplink", n) for reason, n in sorted(self.refused.items())]

    def stop(self, timeout: float = 3.0) -> None:
        """Publish death (retained), disconnect cleanly and stop the threads."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self.connected.is_set() and not self._learn_session and self.session > 0:
            info = self.client.publish(
                shed_topic(Kind.EDGE_STATE, self.shed), self._state("death", self.session), qos=1, retain=True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout)
        self.outage.closing()
        self.client.disconnect()
        self.client.loop_stop()

    # -- paho callbacks (network thread) -----------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, rc: ReasonCode, props: object) -> None:
        try:
            self._connected(client, rc, props)
        except Exception:  # keep the network thread alive; the next reconnect tries again
            log.exception("cloud connect handling failed")

    def _connected(self, client: mqtt.Client, rc: ReasonCode, props: object) -> None:
        if rc.is_failure:
            log.warning("cloud broker refused the connection: %s", rc)
            return
        no_delay(client)
        advertised = getattr(props, "MaximumPacketSize", None) if props is not None else None
        if isinstance(advertised, int) and advertised > 0:
            self._set_max_packet(advertised)
        self.guard.on_connect(time.monotonic())
        self.client.reconnect_delay_set(*self.reconnect)
        with self._birth_lock:
            learning = self._learn_session
            if not learning:
                self._birth()
        topics = [
            (shed_topic(Kind.CLOUD_COMMAND, self.shed), 1),
            (shed_topic(Kind.CLOUD_CONFIG, self.shed), 1),
            (shed_topic(Kind.CLOUD_ACK, self.shed), 1),
        ]
        if learning:  # the retained state first: it has arrived when the ack does
            topics.insert(0, (shed_topic(Kind.EDGE_STATE, self.shed), 1))
        client.subscribe(topics)
        self._connected_at = time.monotonic()
        self._generation += 1
        self.connected.set()
        self._wake.set()
        held = self.outage.up()
        log.info(
            "cloud uplink connected (session %s, backlog %d%s)",
            "not yet known: new store" if learning else self.session,
            self.outbox.depth(),
            f", {held} reconnect error(s) not logged" if held else "",
        )

    def _birth(self) -> None:
        """Start a new session: bump the counter, publish the birth, set the will of the next connection."""
        self.session = self.outbox.bump("session")
        self.client.publish(
            shed_topic(Kind.EDGE_STATE, self.shed), self._state("birth", self.session), qos=1, retain=True
        )
        self._set_will(self.session + 1)  # the will of the next connection

    def _session_heard(self) -> bool:
        # with delivery acks the birth waits for the ack (the seqs are renumbered by then), else the state
        return self._ack_heard if self.end_to_end else self._ack_heard or self._state_heard

    def _settle_session(self) -> None:
        """A new store has heard (or waited long enough): publish the birth, or move the counter and reconnect."""
        with self._birth_lock:
            own = self._peek_session()
            move_to = session_decision(own, self._known_session)
            self._learn_session = False
            self.client.unsubscribe(shed_topic(Kind.EDGE_STATE, self.shed))
            if move_to is None:
                self._birth()
                return
            self.outbox.put("session", move_to)
            self._set_will(move_to + 1)
        log.warning(
            "the cloud knows session %d of this shed (this store was at %d): sessions continue from %d; "
            "reconnecting once so that the will carries it too",
            self._known_session,
            own,
            move_to + 1,
        )
        self.connected.clear()
        self._renumbering = True
        self.client.disconnect()  # clean: the broker publishes no will
        self.client.loop_stop()
        connect_async(self.client, self.url, persistent=True, session_expiry_s=self.session_expiry_s)
        self.client.loop_start()

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        if self._renumbering:  # our own reconnect to carry a new session number
            self._renumbering = False
            self.connected.clear()
            self._wake.set()
            return
        was_connected = self.connected.is_set()
        if was_connected and self._stop.is_set():
            log.info("cloud uplink disconnected (stopping): %s", rc)  # our own clean stop, not an outage
        elif was_connected:
            self.outage.down()
            log.warning("cloud uplink lost: %s", rc)
        self.connected.clear()
        self._wake.set()
        code = getattr(rc, "value", None)
        try:
            verdict = self.guard.on_lost(time.monotonic(), taken_over=code == SESSION_TAKEN_OVER)
            if was_connected and verdict is not None and not self._stop.is_set():
                self._taken_over(*verdict)
            if code == PACKET_TOO_LARGE and self._largest_inflight > 0:
                # the broker did not say its limit (MQTT 3.1.1, or not advertised): stay below what it refused
                self._set_max_packet(self._largest_inflight - 1)
        except Exception:  # the network thread must survive
            log.exception("cloud disconnect handling failed")

    def _taken_over(self, backoff: float, raise_alarm: bool) -> None:
        self.client.reconnect_delay_set(max(1, int(backoff)), max(1, int(backoff)))
        log.error(
            "cloud session taken over by another client with our client id (%d time(s)): "
            "is another edge configured as %s? reconnecting in %.0f s",
            self.guard.total,
            self.shed,
            backoff,
        )
        if raise_alarm and self.on_trouble is not None:
            self.on_trouble(
                "session_taken_over", True, "the cloud session was taken over: another client uses this edge's id?"
            )

    def check_takeover_clear(self) -> None:
        """Clear the takeover alarm once our connection has stayed up long enough (call from a timer)."""
        if self.connected.is_set() and self.guard.clear_due(time.monotonic()) and self.on_trouble is not None:
            self.on_trouble("session_taken_over", False, "the session stayed ours")

    def _set_max_packet(self, size: int) -> None:
        if size != self.max_packet:
            log.info("cloud broker maximum packet size: %d bytes", size)
            self.max_packet = size
            self.outbox.put("max_packet_size", size)

    def payload_limit(self, topic: str) -> int:
        """The largest payload (bytes) that may be published on ``topic`` to the cloud broker."""
        return payload_limit(self.max_packet, topic)

    def _on_publish(self, _c: mqtt.Client, _u: object, mid: int, rc: ReasonCode, _p: object) -> None:
        self._acked.append((self._generation, mid, str(rc) if rc.is_failure else None))
        self._wake.set()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == shed_topic(Kind.EDGE_STATE, self.shed):
            self._on_own_state(bytes(msg.payload))
            return
        if msg.topic == shed_topic(Kind.CLOUD_ACK, self.shed):
            try:
                self._on_ack(bytes(msg.payload))
            except Exception:  # a bad ack must not end the network thread; rows stay until a good one
                log.exception("cloud acknowledgement handling failed")
            return
        self.on_cloud_message(msg.topic, bytes(msg.payload))

    def _on_own_state(self, payload: bytes) -> None:
        """Our retained birth or death, as the broker kept it: a new store learns the shed's session from it."""
        if not self._learn_session:
            return
        try:
            state = decode(Kind.EDGE_STATE, payload)
        except PayloadError as exc:
            log.warning("ignored an invalid retained edge state: %s", exc)
            return
        if isinstance(state, EdgeState) and state.src == self.shed:
            self._known_session = max(self._known_session, state.session)
            self._state_heard = True
            self._wake.set()

    def _on_ack(self, payload: bytes) -> None:
        """The cloud's end-to-end acknowledgement: forget what it stored, send again what it misses."""
        try:
            ack = decode(Kind.CLOUD_ACK, payload)
        except PayloadError as exc:
            log.warning("ignored an invalid cloud acknowledgement: %s", exc)
            return
        if not isinstance(ack, StoredAck) or ack.shed != self.shed:
            return
        self._known_session = max(self._known_session, ack.edge_session)
        try:
            if self.end_to_end:
                self._on_stored(ack)
        finally:
            self._ack_heard = True  # after any renumbering: a waiting birth carries the new last seq
            self._wake.set()

    def _on_stored(self, ack: StoredAck) -> None:
        """Forget what the cloud stored (renumbering a new store above what it knows); send again what it misses."""
        stored = ack.stored_seq
        highest = max(stored, ack.highest_seq)
        if stored > self.outbox.last_seq or (self.outbox.fresh and highest >= self._oldest_waiting()):
            # the cloud knows seqs we never issued (or not from this store): our store lost its history, and
            # our rows would be taken for copies of the old ones. Number them above everything it knows.
            n = self.outbox.rebase(highest + 1)
            log.warning("the cloud knows this shed's stream up to seq %d: %d waiting row(s) renumbered", highest, n)
            self._resend_after = 0
        else:
            if self.outbox.fresh:
                self.outbox.settle()
            self.outbox.ack_through(stored)
        self.stored_seq = stored
        if ack.resend:
            first = min(r.first for r in ack.resend)
            log.warning("the cloud asks again for %d range(s) from seq %d", len(ack.resend), first)
            self._resend_after = first - 1
        if ack.lost:
            log.error("the cloud gave up on seqs %s", ", ".join(f"{r.first}-{r.last}" for r in ack.lost[-5:]))
        self._wake.set()

    def _oldest_waiting(self) -> int:
        rows = self.outbox.pending(urgent_after=0, telemetry_after=0, limit=1)
        return rows[0].seq if rows else self.outbox.last_seq + 1

    # -- the drain thread ------------------------------------------------------------------------

    def _drain_loop(self) -> None:
        inflight: dict[int, int] = {}  # mid -> seq
        urgent = telemetry = 0  # last seq sent of events/results, of telemetry
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
                    urgent = telemetry = 0
                    self._largest_inflight = 0
                    generation = self._generation
                if self._resend_after is not None:
                    urgent = min(urgent, self._resend_after)
                    telemetry = min(telemetry, self._resend_after)
                    self._resend_after = None
                self._settle_acks(inflight, generation)
                if not self.connected.is_set():
                    continue
                if self._learn_session:
                    if not self._session_heard() and time.monotonic() - self._connected_at < self.fresh_wait_s:
                        self._stop.wait(0.05)  # a new store waits for the shed's newest session before its birth
                        self._wake.set()
                        continue
                    self._settle_session()
                    continue
                if self.end_to_end and self.outbox.fresh:
                    if time.monotonic() - self._connected_at < self.fresh_wait_s:
                        self._stop.wait(0.05)  # a new store waits for the retained ack: where does the stream stand?
                        self._wake.set()
                        continue
                    self.outbox.settle()  # no ack came: the cloud has never heard of this shed
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
                rows = self.outbox.pending(urgent_after=urgent, telemetry_after=telemetry, limit=n)
                if not rows and not inflight:
                    self.idle.set()
                else:
                    self.idle.clear()
                for row in rows:
                    if row.kind == KIND_TELEMETRY:
                        telemetry = row.seq
                    else:
                        urgent = row.seq
                    payload = self._fitting(row.seq, row.kind, row.topic, row.payload)
                    if payload is None:
                        continue
                    info = self.client.publish(row.topic, payload, qos=1)
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        break
                    inflight[info.mid] = row.seq
                    self._largest_inflight = max(self._largest_inflight, len(payload))
                    tokens -= 1
                    self.published += 1
                if len(rows) == n:
                    self._wake.set()  # there may be more: go round again without waiting
            except Exception:  # the drainer must outlive any surprise; the rows stay on disk
                log.exception("uplink drain failed; retrying")
                self._stop.wait(1.0)

    def _settle_acks(self, inflight: dict[int, int], generation: int) -> None:
        """Forget acknowledged rows; park rows the broker refused (they would be refused again forever)."""
        done = []
        while self._acked:
            gen, mid, refused = self._acked.popleft()
            seq = inflight.pop(mid, None) if gen == generation else None
            if seq is None:
                continue
            if refused is None:
                if not self.end_to_end:
                    done.append(seq)  # end to end, the row stays until the cloud says it is stored
            else:
                self._park(seq, "broker_refused", refused)
        self.outbox.ack(done)

    def _fitting(self, seq: int, kind: str, topic: str, payload: bytes) -> bytes | None:
        """The payload to send within the broker's limit, or None when the row had to be parked."""
        limit = self.payload_limit(topic)
        if len(payload) <= limit:
            return payload
        if kind == KIND_TELEMETRY:
            thinned = self.outbox.shrink(seq)
            if thinned is not None and len(thinned) <= limit:
                log.warning("telemetry batch seq %d (%d bytes) thinned to fit %d bytes", seq, len(payload), limit)
                return thinned
        self._park(seq, "too_large", f"{len(payload)} bytes > broker limit {limit}")
        return None

    def _park(self, seq: int, reason: str, detail: str) -> None:
        self.outbox.park(seq, f"{reason}: {detail}")
        self.refused[reason] += 1
        log.error("outbox row seq %d parked, not sent (%s): %s", seq, reason, detail)
