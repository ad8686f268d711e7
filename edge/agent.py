"""The edge agent: wires the shed broker, the decisions, the outbox and the cloud uplink together.

Threads: the shed client's network loop runs the hot path (decode -> decide -> relay
publish -> outbox), the main thread runs timers (ticks, telemetry batches, heartbeats,
the disk quota), the uplink has its own network loop and drain thread. One lock
serialises every decision.
"""

import contextlib
import gc
import itertools
import logging
import sys
import threading
import time
from collections import Counter
from functools import partial
from pathlib import Path

import paho.mqtt.client as mqtt
from pydantic import BaseModel, ValidationError

from edge import liveness, sessions
from edge.actions import Action, Answer, Emit, Relay, SaveConfig, SaveSession
from edge.alarms import alarm_id
from edge.boot import boot_before, first_seq
from edge.contract_clock import ContractClock
from edge.decide import begin, finish
from edge.errors import OutboxError
from edge.inputs import CommandIn, CommandRefused, Input, StoredUnreadable, Tick
from edge.latches import latches_of, restore_checked
from edge.outbox import KIND_EVENT, KIND_RESULT, KIND_TELEMETRY, Outbox, PayloadBuilder, SessionRow
from edge.rejects import RejectLog, topic_kind
from edge.replay import SeqTrack, judge
from edge.settings import EdgeConfigFile
from edge.snapshot import birth_snapshot
from edge.state import ShedState, new_state
from edge.stops import hold_all, not_stored, stops_of
from edge.telemetry import MAX_POINTS, Point, batch_payload, points_of
from edge.unreadable import answerable
from edge.uplink import Uplink
from edge.writer import Writer
from protocol.brokerurl import BrokerUrl
from protocol.clock import Clock, within_contract
from protocol.codec import decode_message, encode
from protocol.commands import Command
from protocol.config import ConfigPush, ShedConfig
from protocol.device import EdgeKeepAlive, PostTelemetry, RelayCommand, RelayResult
from protocol.errors import PayloadError, TopicError
from protocol.mqttclient import OncePerOutage, connect_async, make_client, no_delay
from protocol.topics import Kind, device_filter, device_topic, parse_topic, shed_topic
from protocol.uplink import AlarmClass, AlarmCleared, AlarmRaised, CommandResult, SocketSnapshot

log = logging.getLogger("shedwatch.edge")

GIL_SWITCH_S = 0.0002  # 0.2 ms (CPython default 5 ms); see Agent.run and docs/edge.md "Interlock latency"
# relay commands in flight (QoS 1, not yet PUBACKed) on the shed broker; paho's default of 20 queued the rest of a
# burst until PUBACKs were read, which the hot path's thread does only after its callback returns (a per-socket
# shed cut of 200 took 1-1.8 s). Lowered to the broker's Receive Maximum when it states one (MQTT 5 CONNACK).
SHED_INFLIGHT = 1000

# events after which the latches and sessions are stored (a session starts or ends with a status change)
_LATCH_EVENTS = frozenset({"interlock", "alarm_raised", "alarm_cleared", "socket_status"})
_DEVICE_KINDS = (Kind.POST_TELEMETRY, Kind.POST_HEARTBEAT, Kind.RELAY_RESULT, Kind.EXTINGUISHER, Kind.ENVIRONMENT)


class Agent:
    """One shed's edge agent."""

    def __init__(self, cfg: EdgeConfigFile, clock: Clock) -> None:
        self.settings = cfg.agent
        self.clock = ContractClock(clock)  # every wall stamp we send lies in the contract's range
        self.started_ms = self.clock.now_ms()  # wall: stamps only
        self.started_mono = time.monotonic()
        data_dir = Path(self.settings.data_dir)
        self.outbox = Outbox(data_dir / "outbox.sqlite", quota_bytes=int(self.settings.outbox_quota_mb * 1024 * 1024))
        config = self._persisted_config(cfg.shed)
        self.shed = config.shed
        self.state: ShedState = new_state(config, self.clock.mono_ms())
        # this start's number, stored before any command is sent: request ids and device-facing seqs derive from
        # it, never from the wall clock (one reading 1970 would repeat them after every restart; edge.boot)
        in_use = self.outbox.get("session") > 0 or self.outbox.last_seq > 0
        self.outbox.put("boot", boot_before(self.outbox.get("boot"), in_use))
        self.state.boot = self.outbox.bump("boot")
        # latches and operator stops are back before the shed broker is connected: no relay closes under either
        records, unreadable_rows = self.outbox.load_latches()
        restored, bad = restore_checked(self.state, records, mono_ms=self.clock.mono_ms(), wall_ms=self.clock.now_ms())
        if restored:
            log.warning("restored %d safety latch(es) from before the restart: they hold until a reset", restored)
        held = len(stops_of(self.state))
        if held:
            log.warning("restored %d operator stop(s) from before the restart: they hold until start_socket", held)
        self._unreadable = unreadable_rows + bad
        self._unstored: dict[str, CommandResult] = {}  # answers turned failed as their change was not stored
        if self._unreadable:
            # cannot tell which socket was stopped or tripped: hold every one off (alarm raised in run())
            log.error("%d stored latch/stop record(s) unreadable: every socket held stopped", self._unreadable)
            hold_all(self.state)
        self._latches = latches_of(self.state)
        active, ended = self.outbox.load_sessions()
        resumed = sessions.restore(self.state, active, ended, self.clock.mono_ms())
        if resumed:
            log.warning("resumed %d charging session(s) from before the restart: their limits still hold", resumed)
        self.lock = threading.RLock()
        self.counters: Counter[str] = Counter()
        self.rejects = RejectLog()
        self._tracks: dict[str, SeqTrack] = {}  # per device src: what it sent lately (replays, restarts)
        self.stop_event = threading.Event()
        self._closing = threading.Event()
        self.writer = Writer(on_done=self._wrote)
        self._shed_thread: int | None = None
        # per-source seq of our relay commands and keep-alives: above every one of the starts before (edge.boot)
        self._relay_seq = itertools.count(first_seq(self.state.boot))
        shed_url = BrokerUrl.parse(self.settings.shed_broker)
        self.shed_url = shed_url
        # a persistent session under a stable id: readings devices publish while the agent restarts wait
        # at the shed broker (QoS 1) and are replayed to us, then judged on arrival like any other
        self.shed_outage = OncePerOutage()
        self.shed_client = make_client(
            shed_url,
            f"edge-{self.shed}-io",
            persistent=True,
            ca_file=self.settings.tls_ca_file,
            logger="shedwatch.edge.paho",
            log_filter=self.shed_outage,
            manual_ack=True,
        )
        self.shed_client.max_queued_messages_set(0)
        self._shed_inflight = SHED_INFLIGHT
        self.shed_client.max_inflight_messages_set(SHED_INFLIGHT)
        self.shed_client.reconnect_delay_set(self.settings.reconnect_min_s, self.settings.reconnect_max_s)
        self.shed_client.on_connect = self._on_shed_connect
        self.shed_client.on_message = self._on_shed_message
        self.shed_client.on_disconnect = self._on_shed_disconnect
        self.uplink = Uplink(
            url=BrokerUrl.parse(self.settings.cloud_broker),
            shed=self.shed,
            client_id=self.settings.client_id or f"edge-{self.shed}",
            outbox=self.outbox,
            snapshot=self._snapshot,
            on_message=self._on_cloud_message,
            drain_rate_per_s=self.settings.drain_rate_per_s,
            window=self.settings.drain_window,
            session_expiry_s=self.settings.session_expiry_s,
            reconnect=(self.settings.reconnect_min_s, self.settings.reconnect_max_s),
            ca_file=self.settings.tls_ca_file,
            on_trouble=self._trouble,
            rejects=self.rejects.totals,
            ack=self.settings.ack,
            fresh_wait_s=self.settings.fresh_wait_s,
        )

    def _persisted_config(self, from_file: ShedConfig) -> ShedConfig:
        """The newest config: a pushed one kept on disk wins over the file when it is newer."""
        body = self.outbox.latest_config()
        if body is None:
            return from_file
        try:
            pushed = ShedConfig.model_validate_json(body)
        except ValidationError:
            log.error("stored config is invalid; using the file")
            return from_file
        if pushed.shed == from_file.shed and pushed.version > from_file.version:
            log.info("using pushed config version %d (file has %d)", pushed.version, from_file.version)
            return pushed
        return from_file

    # -- lifecycle ------------------------------------------------------------------------------

    def _wrote(self) -> None:
        self.uplink.wake()

    def run(self) -> None:
        """Connect and run until stop() is called."""
        # The hot path (shed client thread) competes for the GIL with the writer, the uplink drain thread and the
        # cloud client's thread. A thread that wakes on I/O waits until the running one is forced to yield, every
        # switch interval (CPython default 5 ms): with the cloud connected that stacked up to 15-20 ms per trip.
        sys.setswitchinterval(GIL_SWITCH_S)
        self.writer.start()
        if self._unreadable:
            self.handle(StoredUnreadable(self._unreadable))  # the trouble alarm (latched: stored with the rest)
        self.handle(Tick())  # statuses of restored latches before the birth snapshot
        connect_async(
            self.shed_client, self.shed_url, persistent=True, session_expiry_s=self.settings.shed_session_expiry_s
        )
        self.shed_client.loop_start()
        self.uplink.start()
        batch_ms = int(self.state.config.batch_interval_s * 1000)
        hb_ms = int(self.settings.heartbeat_s * 1000)
        # timers run on the monotonic clock: a wall clock that steps (1970 at boot, then NTP) moves none of them
        next_batch = self.clock.mono_ms() + batch_ms
        next_hb = self.clock.mono_ms()
        next_keepalive = self.clock.mono_ms()
        next_quota = time.monotonic()
        # what exists now lives as long as the agent: keep the cyclic collector from rescanning it on the hot path
        gc.freeze()
        log.info("edge agent for shed %s started (outbox seq %d)", self.shed, self.outbox.last_seq)
        wait_s = self.settings.tick_s
        while not self.stop_event.wait(wait_s):
            mono = self.clock.mono_ms()
            try:
                self.handle(Tick())
                wait_s = -1.0  # computed once the other timers are done (below)
                if mono >= next_keepalive:  # only while decisions run: a wedged agent must let the posts cut
                    next_keepalive = mono + int(self.state.config.thresholds.keepalive_s * 1000)
                    self.keepalive()
            except Exception:  # timers must keep running: log, count, go on (a whole tick later: no log flood)
                self.counters["internal_error"] += 1
                log.exception("tick failed")
                wait_s = self.settings.tick_s
            if mono >= next_batch:
                self.flush_telemetry(self.clock.now_ms())
                batch_ms = int(self.state.config.batch_interval_s * 1000)
                next_batch = mono + batch_ms
            if mono >= next_hb:
                self.uplink.heartbeat(self.clock.now_ms(), int(time.monotonic() - self.started_mono))
                self.uplink.check_takeover_clear()
                self.rejects.periodic_totals(time.monotonic())
                next_hb = mono + hb_ms
            if time.monotonic() >= next_quota:
                thinned = self.outbox.enforce_quota()
                if thinned:
                    log.warning("outbox over quota: thinned %d telemetry batches to rollups", thinned)
                next_quota = time.monotonic() + self.settings.quota_check_s
            if wait_s < 0:
                # after the keep-alives, the batch, the heartbeat and the quota (an SQLite scan): computed before
                # them, the wait overslept the next stale deadline by as long as they took
                wait_s = self._until_next_tick()

    def _until_next_tick(self) -> float:
        """Real seconds to wait: one tick, or less when a socket's telemetry turns stale sooner."""
        with self.lock:
            due = liveness.next_stale_ms(self.state)
        if due is None:
            return self.settings.tick_s
        speed = float(getattr(self.clock, "speed", 1.0))
        return max(0.0005, min(self.settings.tick_s, (due - self.clock.mono_ms()) / 1000 / speed))

    def keepalive(self) -> None:
        """Tell every configured post it is supervised (QoS 0: a late keep-alive would be a lie)."""
        t = self.state.config.thresholds
        # on a sped-up simulated clock one real second (a few ticks, and a busy machine) is many simulated ones:
        # never promise a post a keep-alive sooner than that, or its watchdog cuts a live edge's sockets
        speed = float(getattr(self.clock, "speed", 1.0))
        interval_s = min(3600.0, max(t.keepalive_s, max(self.settings.tick_s, 1.0) * speed))
        for post in self.state.config.posts:
            msg = EdgeKeepAlive(
                src=self.shed,
                seq=next(self._relay_seq),
                ts=self.clock.now_ms(),
                interval_s=interval_s,
            )
            self.shed_client.publish(device_topic(Kind.KEEPALIVE, self.shed, post.id), encode(msg), qos=0)

    def stop(self) -> None:
        """Ask run() to return."""
        self.stop_event.set()

    def close(self) -> None:
        """Keep what is buffered, say goodbye (death) and disconnect."""
        # stop taking readings first: what devices publish from now on waits in our shed-broker session
        # instead of being acknowledged after the last batch was cut (and lost with the process). Messages
        # already taken are staged and acknowledged before we disconnect, so the next start does not get
        # them again (its replay check starts empty).
        self._closing.set()  # from now on a device message is left unacknowledged: the next start gets it
        staged = threading.Event()
        self.writer.submit(staged.set)  # every reading taken so far is staged and acknowledged
        staged.wait(5.0)
        self.shed_outage.closing()
        # under the decision lock: a decision on the shed client's thread writes its relays itself (loop_write,
        # inside paho's message callback); had it written the DISCONNECT queued here meanwhile, paho's
        # on_disconnect would wait for the callback lock its own thread holds, and loop_stop() for ever
        with self.lock:
            self.shed_client.disconnect()
        self.shed_client.loop_stop()
        self.flush_telemetry(self.clock.now_ms())
        self.writer.close()
        # a clean stop gives the uplink a moment to deliver the backlog; what remains stays on disk
        deadline = time.monotonic() + self.settings.stop_drain_s
        self.uplink.idle.clear()
        while self.uplink.connected.is_set() and not self.uplink.idle.is_set() and time.monotonic() < deadline:
            self.uplink.wake()
            time.sleep(0.02)
        self.uplink.stop()
        self.outbox.close()
        log.info("edge agent stopped")

    # -- decisions ------------------------------------------------------------------------------

    def handle(self, event: Input) -> list[Action]:
        """Decide and carry out the actions (relays first: they protect life).

        Both clocks are read under the lock, so decisions see monotonic time in order.
        """
        with self.lock:
            raw = self.clock.raw_now_ms()  # begin() clamps it into the contract and keeps what it read (`clock` alarm)
            now = within_contract(raw)
            ctx = begin(self.state, event, self.clock.mono_ms(), raw)
            # the relays leave before the status events are even built (a shed cut: 200 of them, ~3 ms)
            self._relays(ctx.actions, now)
            sent = len(ctx.actions)
            actions = finish(ctx)
            if actions:
                self._relays(actions[sent:], now)  # none today: statuses only emit; never leave one behind
                changed = any(isinstance(a, Emit) and a.event.type in _LATCH_EVENTS for a in actions)
                # a command's answer says done only once what it changed is on disk (a stop_socket answered
                # "applied" and lost in a power cut let the post power the socket again): stored first
                store_first = changed and any(isinstance(a, Answer) for a in actions)
                self._execute(actions, now, store_first=store_first)
                if changed and not store_first:
                    self.writer.submit(self._save_latches)  # off the hot path: the relay leaves first
            return actions

    def _relays(self, actions: list[Action], now: int) -> None:
        # relays first, and on the wire at once: paho writes what a message callback publishes only after the
        # callback returns, so on the shed client's own thread each command is written right away (a shed cut
        # of 200 sockets must not wait for its status events, nor the first socket for the 200th)
        flush = threading.get_ident() == self._shed_thread and not self._closing.is_set()  # see close()
        for action in actions:
            if isinstance(action, Relay):
                # built without re-validation: every field comes from a decision over validated config and input
                # (socket None: a post-level off, every socket of the post; left out of the JSON)
                cmd = RelayCommand.model_construct(
                    src=self.shed,
                    seq=next(self._relay_seq),
                    ts=now,
                    request_id=action.request_id,
                    socket=action.socket,
                    on=action.on,
                    reason=action.reason,
                )
                self.shed_client.publish(device_topic(Kind.RELAY_SET, self.shed, action.device), encode(cmd), qos=1)
                if flush:
                    self.shed_client.loop_write()

    def _execute(self, actions: list[Action], now: int, *, store_first: bool = False) -> None:
        """Everything but the relays (already published by _relays): events, answers, configs to the outbox.

        ``store_first``: the latches and stops are stored before the events and answers (one writer job); when
        they cannot be, an applied answer goes out as ``failed`` instead (edge.stops.not_stored).
        """
        stream: list[tuple[str, str, PayloadBuilder]] = []
        answers: dict[int, CommandResult] = {}  # index in stream -> the answer
        saved: list[SessionRow] = []
        for action in actions:
            if isinstance(action, Relay):
                continue
            if isinstance(action, Emit):
                stream.append((KIND_EVENT, shed_topic(Kind.EDGE_EVENT, self.shed), _stamp(action.event)))
            elif isinstance(action, Answer):
                answers[len(stream)] = action.result
                stream.append((KIND_RESULT, shed_topic(Kind.EDGE_RESULT, self.shed), _stamp(action.result)))
            elif isinstance(action, SaveConfig):
                body = self.state.config.model_dump_json()
                self.writer.submit(partial(self.outbox.save_config, action.version, body, now))
            elif isinstance(action, SaveSession):
                saved.append((action.session, action.active, action.record))
        if store_first:
            self.writer.submit(partial(self._store_then_answer, stream, answers, saved))
        elif stream or saved:
            # one transaction: a session is stored with the events that report it (both or neither survive)
            self.writer.submit(lambda: self.outbox.add_many(stream, saved))

    def _store_then_answer(
        self, stream: list[tuple[str, str, PayloadBuilder]], answers: dict[int, CommandResult], saved: list[SessionRow]
    ) -> None:
        """Store the latches and stops, then the decision's events and answers (runs on the writer thread)."""
        if not self._save_latches():
            for i, result in answers.items():
                failed = not_stored(result)
                self._unstored[result.request_id] = failed  # the audit says what the cloud was told
                stream[i] = (stream[i][0], stream[i][1], _stamp(failed))
        self.outbox.add_many(stream, saved)

    def _save_latches(self) -> bool:
        """Store the latches and stops when they changed (runs on the writer thread); False when that failed."""
        with self.lock:
            latches = latches_of(self.state)
            if latches == self._latches:
                return True
        try:
            self.outbox.save_latches(latches)
        except OutboxError:
            # not remembered as stored: the next change tries again with everything
            self.counters["latch_store_failed"] += 1
            log.exception("latches and stops not stored: they would not survive a restart")
            return False
        with self.lock:
            self._latches = latches
        return True

    def flush_telemetry(self, now: int) -> None:
        """Turn staged readings into numbered TelemetryBatch messages in the outbox."""
        shed = self.shed

        def build(seq: int, points: list[Point]) -> bytes:
            return batch_payload(shed, seq, now, points)

        topic = shed_topic(Kind.EDGE_TELEMETRY, shed)
        limit = self.uplink.payload_limit(topic)  # the contract's and the cloud broker's, whichever is smaller
        self.writer.submit(partial(self.outbox.batch_staged, KIND_TELEMETRY, topic, build, MAX_POINTS, limit))

    def _trouble(self, alarm_type: str, active: bool, message: str) -> None:
        """Report a delivery trouble condition (from the uplink's network thread) as a trouble alarm."""
        now = self.clock.now_ms()
        common: dict[str, object] = {
            "src": self.shed,
            "seq": 0,
            "ts": now,
            "alarm_id": alarm_id(self.shed, alarm_type),
            "alarm_class": AlarmClass.TROUBLE,
            "alarm_type": alarm_type,
            "message": message[:200],
        }
        event: AlarmRaised | AlarmCleared = (
            AlarmRaised.model_validate(common) if active else AlarmCleared.model_validate(common)
        )
        self.writer.submit(lambda: self.outbox.add(KIND_EVENT, shed_topic(Kind.EDGE_EVENT, self.shed), _stamp(event)))

    def _snapshot(self) -> tuple[int, int, list[SocketSnapshot]]:
        with self.lock:
            return self.clock.now_ms(), self.state.config.version, birth_snapshot(self.state)

    # -- shed broker ----------------------------------------------------------------------------

    def _on_shed_connect(self, client: mqtt.Client, _u: object, _f: object, rc: object, props: object) -> None:
        if getattr(rc, "is_failure", False):
            log.warning("shed broker refused the connection: %s", rc)
            return
        no_delay(client)
        client.subscribe([(device_filter(self.shed, kind), 1) for kind in _DEVICE_KINDS])
        # never more in flight than the broker takes (MQTT 5 Receive Maximum; absent means 65,535). paho cannot
        # change it on an open connection: it applies from the next one (a broker we overran disconnects us)
        receive_max = getattr(props, "ReceiveMaximum", None) if props is not None else None
        if isinstance(receive_max, int) and 0 < receive_max < self._shed_inflight:
            self._shed_inflight = receive_max
            log.warning("shed broker takes %d messages in flight at most: used from the next connection", receive_max)
        held = self.shed_outage.up()
        log.info("shed broker connected%s", f" ({held} reconnect error(s) not logged)" if held else "")

    def _on_shed_disconnect(self, client: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        if client.max_inflight_messages != self._shed_inflight:
            with contextlib.suppress(RuntimeError):  # the connection is closed here; never let this end the loop
                client.max_inflight_messages_set(self._shed_inflight)
        if not self.stop_event.is_set():
            self.shed_outage.down()
            log.warning("shed broker lost: %s", rc)

    def _on_shed_message(self, client: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        self._shed_thread = threading.get_ident()  # paho's network thread for the shed broker
        if self._closing.is_set():
            return  # stopping: unacknowledged, the shed broker keeps it for our next session
        deferred = False
        try:
            deferred = self._shed_message(msg)
        except Exception:  # never let one message end the shed client's network thread
            self.counters["internal_error"] += 1
            log.exception("failed to handle a message on %s", msg.topic)
        finally:
            if not deferred and msg.qos:
                client.ack(msg.mid, msg.qos)

    def _shed_message(self, msg: mqtt.MQTTMessage) -> bool:
        """Handle one device message; True when its PUBACK waits for its readings to be on disk."""
        try:
            topic, message = decode_message(msg.topic, bytes(msg.payload))
        except (PayloadError, TopicError) as exc:
            self._bad_input(getattr(exc, "reason", "bad_topic"), msg.topic, exc)
            return False
        if topic.shed != self.shed:
            self._bad_input("foreign_shed", msg.topic, ValueError(f"topic names shed {topic.shed!r}, not ours"))
            return False
        if topic.device not in self.state.devices:
            self._bad_input("unknown_device", msg.topic, ValueError(f"{topic.device} is not in the shed config"))
            if isinstance(message, PostTelemetry | RelayResult):
                # not ours, yet a closed relay there is unsupervised power: decide() commands it off until confirmed
                self.handle(message)
            return False
        src = getattr(message, "src", topic.device)
        verdict = judge(self._tracks.setdefault(src, SeqTrack()), message.seq, message.ts)
        if verdict == "replay":
            self._bad_input("replay", msg.topic, ValueError(f"{src} seq {message.seq} was already taken"))
            return False
        if verdict != "new":
            self.rejects.note(verdict, topic.kind.value)  # taken, but counted: a restart or a late message
        self.handle(message)
        if isinstance(message, PostTelemetry):
            self._stray_sockets(message, msg.topic)
        skew_ms = int(self.state.config.thresholds.clock_skew_s * 1000)
        points = points_of(message, self.clock.now_ms(), skew_ms)
        if not points:
            return False
        client, mid, qos = self.shed_client, msg.mid, msg.qos
        source = (src, message.seq, message.ts)
        kind = topic.kind.value

        def stage_then_ack() -> None:
            # the shed broker forgets the reading only once it is staged on disk: a SIGKILL in between
            # means a redelivery (dropped here as a replay), never a lost reading
            if not self.outbox.stage(points, source):
                self.rejects.note("replay", kind)
            if qos:
                client.ack(mid, qos)

        self.writer.submit(stage_then_ack)
        return True

    def _stray_sockets(self, message: PostTelemetry, topic: str) -> None:
        """Count readings of socket numbers the config does not list (decide() keeps such sockets off)."""
        post = self.state.posts.get(message.src)
        known = post.sockets if post is not None else {}
        strays = [r.socket for r in message.sockets if r.socket not in known]
        if strays:
            detail = f"socket(s) {strays} of {message.src} not in the shed config: commanded off while energised"
            self._bad_input("unknown_socket", topic, ValueError(detail))

    def _bad_input(self, reason: str, topic: str, exc: Exception) -> None:
        self.counters[reason] += 1
        self.rejects.reject(reason, topic, str(exc), time.monotonic())

    # -- cloud commands -------------------------------------------------------------------------

    def _on_cloud_message(self, topic: str, payload: bytes) -> None:
        try:
            self._cloud_message(topic, payload)
        except Exception:
            self.counters["internal_error"] += 1
            log.exception("failed to handle a message on %s", topic)

    def _cloud_message(self, topic: str, payload: bytes) -> None:
        if not payload and topic_kind(topic) == Kind.CLOUD_CONFIG.value:
            # an empty retained message is how MQTT deletes one: a legal act of the cloud, not a malformed config
            log.info(
                "retained config cleared on %s: the running config (version %d) stays", topic, self.state.config.version
            )
            return
        try:
            parsed, message = decode_message(topic, payload)
        except (PayloadError, TopicError) as exc:
            self._bad_input(getattr(exc, "reason", "bad_topic"), topic, exc)
            if isinstance(exc, PayloadError):
                self._answer_refused(topic, payload, exc)
            return
        if parsed.shed != self.shed:
            # only our own commands and config: a session under a copied client id still carries another
            # shed's subscriptions, and acting on them would stop that shed's sockets
            self._bad_input("foreign_shed", topic, ValueError(f"topic names shed {parsed.shed!r}, not ours"))
            return
        if isinstance(message, Command):
            self._command(message)
        elif isinstance(message, ConfigPush) and parsed.kind == Kind.CLOUD_CONFIG:
            if message.config.version <= self.state.config.version:
                return  # the retained copy of what we already run
            cmd = Command(
                src=message.src,
                seq=message.seq,
                ts=message.ts,
                request_id=f"config-{message.config.version}",
                expires_at=4_102_444_800_000,
                actor=message.actor,
                action="push_config",
                config=message.config,
            )
            self._command(cmd)

    def _answer_refused(self, topic: str, payload: bytes, exc: PayloadError) -> None:
        """Every command gets an answer: one the contract refused is answered rejected when its id is readable."""
        parsed = parse_topic(topic)  # parsed already once: a PayloadError comes after the topic
        if parsed.shed != self.shed:
            return  # another shed's command is not ours to answer
        who = answerable(parsed.kind, payload, self.state.config.version)
        if who is None:
            return
        actions = self.handle(CommandRefused(who.request_id, f"{exc.reason}: {exc.detail}"))
        target = "config" if who.action == "push_config" else "unknown"
        self._audit_answers(actions, who.request_id, who.actor, who.action, target)

    def _command(self, cmd: Command) -> None:
        actions = self.handle(CommandIn(cmd))
        target = f"{cmd.device}/{cmd.socket}" if cmd.device else ("config" if cmd.config else "shed")
        self._audit_answers(actions, cmd.request_id, cmd.actor, cmd.action, target)

    def _audit_answers(self, actions: list[Action], request_id: str, actor: str, action: str, target: str) -> None:
        """Record each answer of a command in the local audit log (on the writer thread, after its own write)."""
        now = self.clock.now_ms()
        for answer in actions:
            if isinstance(answer, Answer):
                r = answer.result
                self.writer.submit(partial(self._audit, request_id, actor, action, target, r, now))
                log.info("command %s %s by %s: %s %s", request_id, action, actor, r.status, r.detail)

    def _audit(self, request_id: str, actor: str, action: str, target: str, result: CommandResult, now: int) -> None:
        """Audit a command as answered (runs on the writer thread, after the answer's own write)."""
        r = self._unstored.pop(result.request_id, result)
        self.outbox.audit(
            ts=now,
            request_id=request_id,
            actor=actor,
            action=action,
            target=target,
            status=r.status,
            detail=r.detail,
        )


def _stamp(message: BaseModel) -> PayloadBuilder:
    """Build the payload with the seq the outbox assigns."""

    def build(seq: int) -> bytes:
        return encode(message.model_copy(update={"seq": seq}))

    return build
