"""The shed twin: every device of one ShedConfig, stepped through simulated time.

Pure: no MQTT, no wall clock. ``advance_to(t_ms)`` moves the physics forward in
steps of at most one second, stopping exactly at every due report, scheduled
event and fault tick; what the devices would publish collects in an outbox and
what really happened in a truth list. An adapter (simulators.runner) drains both.
"""

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from protocol.codec import decode_message
from protocol.config import ShedConfig
from protocol.device import EdgeKeepAlive, RelayCommand
from protocol.envelope import Envelope
from protocol.errors import ProtocolError
from protocol.topics import Kind, device_topic
from simulators.air import ShedAir
from simulators.battery import Battery, BatterySpec
from simulators.environment import EnvironmentTwin
from simulators.extinguisher import ExtinguisherTwin
from simulators.post import PostTwin
from simulators.residents import Plan, arrival_probability, initial_occupancy, random_bike, random_plan
from simulators.socket import SocketTwin

MAX_STEP_MS = 1000  # physics step while a fault or pre-alarm is active
QUIET_STEP_MS = 5000  # otherwise (charging curves change over minutes)
SNAPSHOT_MS = 60_000


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message a device publishes now."""

    kind: Kind
    topic: str
    message: Envelope


class ActiveFault(Protocol):
    """A running fault: ``step`` is called every physics step until it returns True (finished)."""

    name: str

    def step(self, sim: "ShedSim", dt_s: float) -> bool: ...


class SimError(ValueError):
    """A scenario or command names something the shed does not have."""


class ShedSim:
    """All devices of one shed and the air they share."""

    def __init__(
        self,
        config: ShedConfig,
        *,
        start_ms: int,
        seed: int = 0,
        residents: bool = False,
        utc_offset_h: float = 8.0,
        resident_scale: float = 1.0,
    ) -> None:
        self.config = config
        self.shed = config.shed
        self.t = config.thresholds
        self.now_ms = start_ms
        self.start_ms = start_ms
        self.rng = random.Random(f"{seed}:{config.shed}")
        self.residents = residents
        self.resident_scale = resident_scale
        self.air = ShedAir(utc_offset_h=utc_offset_h)
        # an authorised shed's posts wait for the edge to close a relay for a charging session
        auto_on = config.mode == "open"
        self.posts = {
            p.id: PostTwin(config.shed, p.id, p.sockets, thresholds=self.t, boot_ms=start_ms, auto_on=auto_on)
            for p in config.posts
        }
        self.extinguishers = {e: ExtinguisherTwin(config.shed, e) for e in config.extinguishers}
        self.sensors = {s: EnvironmentTwin(config.shed, s) for s in config.sensors}
        self.plume_c: dict[str, float] = {}  # extra heat at an extinguisher's element (over a burning rack)
        self.plans: dict[tuple[str, int], Plan] = {}
        self.full_since: dict[tuple[str, int], int] = {}
        self.faults: list[ActiveFault] = []
        self.outbox: list[Outgoing] = []
        self.truth: list[dict[str, Any]] = []
        self.bad_commands = 0
        self._events: list[tuple[int, int, Callable[[ShedSim], None]]] = []
        self._counter = itertools.count()
        # Report schedules: last report time per device, spread so devices do not all speak at once.
        sample_ms = int(self.t.sample_interval_s * 1000)
        self._last_tel: dict[str, int] = {}
        self._last_hb: dict[str, int] = {}
        for dev in [*self.posts, *self.extinguishers, *self.sensors]:
            self._last_tel[dev] = start_ms - sample_ms + self.rng.randrange(0, sample_ms)
            self._last_hb[dev] = start_ms - int(self.t.heartbeat_s * 1000) + self.rng.randrange(0, 1000)
        self._next_snapshot = start_ms + SNAPSHOT_MS
        self._fast = False  # any device sampling fast (updated every physics step)
        if residents:
            self._populate()

    def _populate(self) -> None:
        # Start mid-life: some sockets already hold bikes, some of them full, as a real shed would.
        share = initial_occupancy(self.now_ms, self.air.utc_offset_h)
        for post in self.posts.values():
            for sock in post.sockets:
                if self.rng.random() < share:
                    spec, soc = random_bike(self.rng)
                    if self.rng.random() < 0.3:
                        soc = 1.0
                    self.plug(
                        post.id, sock.number, spec, soc, random_plan(self.rng, self.now_ms, self.air.utc_offset_h)
                    )

    # --- scheduling --------------------------------------------------------------------------------------
    def schedule(self, at_ms: int, action: Callable[["ShedSim"], None]) -> None:
        """Run ``action(sim)`` when simulated time reaches at_ms (at once if already past)."""
        heapq.heappush(self._events, (max(at_ms, self.now_ms), next(self._counter), action))

    def add_fault(self, fault: ActiveFault, record: dict[str, Any]) -> None:
        """Start a fault now and record it as ground truth."""
        self.faults.append(fault)
        self.truth.append({"record": "fault", "ts": self.now_ms, "shed": self.shed, **record})
        self.report_now()

    def report_now(self, device: str | None = None) -> None:
        """Make one device (or all) report at the current instant (a report on change)."""
        for dev in [device] if device else list(self._last_tel):
            self._last_tel[dev] = self.now_ms - 10 * int(self.t.sample_interval_s * 1000)

    # --- lookups -------------------------------------------------------------------------------------------
    def post(self, device: str) -> PostTwin:
        """The post with this id, or SimError."""
        try:
            return self.posts[device]
        except KeyError:
            raise SimError(f"shed {self.shed} has no post {device!r}") from None

    def socket(self, device: str, number: int) -> SocketTwin:
        """One socket, or SimError."""
        try:
            return self.post(device).socket(number)
        except ValueError as exc:
            raise SimError(str(exc)) from None

    def extinguishers_over(self, device: str) -> list[str]:
        """Extinguishers hanging over a post's rack (spread evenly over the posts)."""
        posts = list(self.posts)
        exts = list(self.extinguishers)
        if not exts or device not in posts:
            return exts
        i = posts.index(device) * len(exts) // len(posts)
        return [exts[i]]

    # --- residents and bikes -------------------------------------------------------------------------------
    def plug(self, device: str, socket: int, spec: BatterySpec, soc: float, plan: Plan | None = None) -> None:
        """A bike is plugged into a socket (replacing nothing: the socket must be free)."""
        sock = self.socket(device, socket)
        if sock.bike is not None:
            self.unplug(device, socket)
        sock.plug(Battery(spec, soc))
        self.plans[(device, socket)] = plan or Plan()
        self.full_since.pop((device, socket), None)
        self.truth.append(
            {
                "record": "plug",
                "ts": self.now_ms,
                "shed": self.shed,
                "device": device,
                "socket": socket,
                "chemistry": spec.chemistry.value,
                "voltage": spec.voltage,
                "capacity_ah": spec.capacity_ah,
                "charger_w": spec.charger_w,
                "soc": soc,
            }
        )
        self.report_now(device)

    def unplug(self, device: str, socket: int) -> None:
        """The bike is taken away."""
        sock = self.socket(device, socket)
        if sock.bike is None:
            return
        sock.unplug()
        self.plans.pop((device, socket), None)
        self.full_since.pop((device, socket), None)
        self.truth.append(
            {"record": "unplug", "ts": self.now_ms, "shed": self.shed, "device": device, "socket": socket}
        )
        self.report_now(device)

    def _residents_step(self, dt_s: float) -> None:
        p_arrival = (
            arrival_probability(self.now_ms, dt_s, self.air.utc_offset_h, self.resident_scale) if self.residents else 0
        )
        for post in self.posts.values():
            for sock in post.sockets:
                key = (post.id, sock.number)
                if sock.bike is None:
                    if p_arrival and not sock.tripped and sock.post_fault is None and self.rng.random() < p_arrival:
                        spec, soc = random_bike(self.rng)
                        self.plug(
                            post.id, sock.number, spec, soc, random_plan(self.rng, self.now_ms, self.air.utc_offset_h)
                        )
                    continue
                plan = self.plans.get(key)
                if sock.bike.full and key not in self.full_since:
                    self.full_since[key] = self.now_ms
                if plan is None:
                    continue
                if (plan.leave_at_ms is not None and self.now_ms >= plan.leave_at_ms) or (
                    plan.after_full_s is not None
                    and key in self.full_since
                    and self.now_ms - self.full_since[key] >= plan.after_full_s * 1000
                ):
                    self.unplug(post.id, sock.number)

    # --- commands ------------------------------------------------------------------------------------------
    def handle_relay_message(self, topic: str, payload: bytes) -> None:
        """A RelayCommand or an EdgeKeepAlive arrived from the broker (bad input is counted, never raised)."""
        try:
            parsed, cmd = decode_message(topic, payload)
        except ProtocolError as exc:
            self.bad_commands += 1
            self.truth.append({"record": "bad_command", "ts": self.now_ms, "topic": topic, "error": str(exc)})
            return
        if parsed.kind is Kind.KEEPALIVE and parsed.shed == self.shed and parsed.device in self.posts:
            assert isinstance(cmd, EdgeKeepAlive)
            post = self.posts[parsed.device]
            if post.online:  # a post cut off from the broker hears nothing: its watchdog runs out
                post.keepalive(cmd, self.now_ms)
            return
        if parsed.kind is not Kind.RELAY_SET or parsed.shed != self.shed or parsed.device not in self.posts:
            self.bad_commands += 1
            return
        assert isinstance(cmd, RelayCommand)
        self.handle_relay(parsed.device or "", cmd)

    def handle_relay(self, device: str, cmd: RelayCommand) -> None:
        """Obey a decoded RelayCommand addressed to one post."""
        post = self.post(device)
        # a post-level command (every socket of the post) is recorded with socket None
        base = {"ts": self.now_ms, "shed": self.shed, "device": device, "socket": cmd.socket}
        self.truth.append(
            {"record": "relay_command", **base, "request_id": cmd.request_id, "on": cmd.on, "reason": cmd.reason}
        )
        if not post.online:
            self.truth.append({"record": "relay_ignored", **base, "request_id": cmd.request_id})
            return
        for result in post.handle_relay(cmd, self.now_ms):  # one per socket the command concerns
            self.truth.append(
                {
                    "record": "relay_result",
                    **base,
                    "socket": result.socket,
                    "request_id": cmd.request_id,
                    "ok": result.ok,
                    "relay": result.relay,
                    "error": result.error,
                }
            )
            self._emit(Kind.RELAY_RESULT, device, result)
        self.report_now(device)

    # --- time ----------------------------------------------------------------------------------------------
    def advance_to(self, t_ms: int) -> None:
        """Step the shed forward to t_ms, emitting every report that falls due on the way."""
        while self.now_ms < t_ms:
            step = MAX_STEP_MS if self.faults or self._fast else QUIET_STEP_MS
            target = min(t_ms, self.now_ms + step, self._next_due())
            if target > self.now_ms:
                dt_s = (target - self.now_ms) / 1000.0
                self.now_ms = target  # physics describe the state at the end of the step
                self._physics(dt_s)
            self._run_due()

    def next_due_ms(self) -> int:
        """Simulated time of the next report, event or snapshot."""
        return self._next_due()

    def _next_due(self) -> int:
        due = self._next_snapshot
        for post in self.posts.values():
            if post.watchdog_deadline_ms is not None:
                due = min(due, post.watchdog_deadline_ms)
        if self._events:
            due = min(due, self._events[0][0])
        for dev, last in self._last_tel.items():
            due = min(due, last + self._interval_ms(dev), self._last_hb[dev] + self._heartbeat_ms(dev))
        return due

    def _interval_ms(self, dev: str) -> int:
        fast = int(self.t.fault_sample_interval_s * 1000)
        slow = int(self.t.sample_interval_s * 1000)
        if dev in self.posts:
            return fast if self.posts[dev].fast else slow
        if dev in self.extinguishers:
            return fast if self.extinguishers[dev].fast else int(self.t.heartbeat_s * 1000)
        return fast if self._pre_alarm() else slow

    def _heartbeat_ms(self, dev: str) -> int:
        # Only posts send a separate heartbeat; sensors' periodic reports are their sign of life.
        return int(self.t.heartbeat_s * 1000) if dev in self.posts else 10**15

    def _pre_alarm(self) -> bool:
        h2, co, voc = self.air.gases()
        t = self.t
        return (
            h2 >= t.h2_ppm / 2
            or co >= t.co_ppm / 2
            or voc >= t.voc_ppm / 2
            or self.air.smoke_pct_m >= 1.0
            or self.air.heat_extra_c >= 3.0
        )

    def _physics(self, dt_s: float) -> None:
        ambient = self.air.ambient_c(self.now_ms)
        for post in self.posts.values():
            for sock in post.sockets:
                sock.step(dt_s, ambient)
        self.faults = [f for f in self.faults if not f.step(self, dt_s)]
        for ext_id, ext in self.extinguishers.items():
            element = self.air.temp_c(self.now_ms) + self.plume_c.get(ext_id, 0.0)
            if ext.step(dt_s, element):
                self.truth.append(
                    {
                        "record": "discharge",
                        "ts": self.now_ms,
                        "shed": self.shed,
                        "device": ext_id,
                        "element_c": element,
                    }
                )
                self.report_now(ext_id)
        self._residents_step(dt_s)
        fast = self._pre_alarm()
        for post in self.posts.values():
            post.fast = post.fast_sampling()
            fast = fast or post.fast
        self._fast = fast or any(e.fast for e in self.extinguishers.values())

    def _run_due(self) -> None:
        now = self.now_ms
        while self._events and self._events[0][0] <= now:
            _, _, action = heapq.heappop(self._events)
            action(self)
        for post in self.posts.values():
            opened = post.watchdog(now)
            if opened:
                self.truth.append(
                    {"record": "watchdog", "ts": now, "shed": self.shed, "device": post.id, "sockets": opened}
                )
                self.report_now(post.id)
        for dev in list(self._last_tel):
            if self._last_hb[dev] + self._heartbeat_ms(dev) <= now:
                self._last_hb[dev] = now
                post = self.posts[dev]
                if post.online:
                    self._emit(Kind.POST_HEARTBEAT, dev, post.heartbeat(now))
            if self._last_tel[dev] + self._interval_ms(dev) <= now:
                self._last_tel[dev] = now
                self._report(dev)
        if self._next_snapshot <= now:
            self._next_snapshot = now + SNAPSHOT_MS
            self.truth.append(self.snapshot())

    def _report(self, dev: str) -> None:
        now = self.now_ms
        if dev in self.posts:
            post = self.posts[dev]
            if post.online:
                self._emit(Kind.POST_TELEMETRY, dev, post.telemetry(now, self.rng))
        elif dev in self.extinguishers:
            ext = self.extinguishers[dev]
            if ext.online:
                self._emit(Kind.EXTINGUISHER, dev, ext.status(now, self.rng))
        else:
            env = self.sensors[dev]
            if env.online:
                self._emit(Kind.ENVIRONMENT, dev, env.reading(now, self.air, self.rng))

    def _emit(self, kind: Kind, device: str, message: Envelope) -> None:
        self.outbox.append(Outgoing(kind, device_topic(kind, self.shed, device), message))

    # --- observation ---------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The ground-truth socket snapshot record."""
        sockets = []
        for post in self.posts.values():
            for s in post.sockets:
                sockets.append(
                    {
                        "shed": self.shed,
                        "device": post.id,
                        "socket": s.number,
                        "plugged": s.bike is not None,
                        "relay": s.relay,
                        "soc": round(s.bike.soc, 4) if s.bike else None,
                        "power_w": round(s.power_w, 1),
                        # An offline post's sockets are out of service for residents, whatever they do physically.
                        "truth": s.truth().value if post.online else "faulted",
                    }
                )
        return {"record": "sockets", "ts": self.now_ms, "sockets": sockets}

    def drain(self) -> tuple[list[Outgoing], list[dict[str, Any]]]:
        """Take everything emitted since the last drain."""
        out, truth = self.outbox, self.truth
        self.outbox, self.truth = [], []
        return out, truth
