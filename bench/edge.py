"""Edge agent benchmark: interlock latency, footprint and outbox drain rate.

    python -m bench.edge [--quick]

Runs the agent as a real subprocess against two real mosquitto brokers (shed and cloud)
for a shed of 20 posts x 10 sockets at the default sampling (every 10 s), then:
- interlock latency of every trip type (over-power, over-temperature, rate of rise, off-gas,
  smoke, extinguisher discharge, stale telemetry after its interval): the offending message
  arriving at the shed broker -> the relay-off command published, both seen by one subscriber
  on the shed broker, while telemetry keeps flowing to a connected cloud subscriber;
  ``interlock_p99_ms`` is the worst trip type's p99;
- rss_mb / cpu_pct of the agent process during steady traffic (from /proc);
- drain_msgs_per_s: events queued in the outbox while the cloud broker was stopped,
  delivered after it came back.
The last line of output is one JSON object.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Literal

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.common import emit, percentile
from edge.agent import GIL_SWITCH_S
from protocol.clock import SystemClock
from protocol.codec import encode
from protocol.commands import Command
from protocol.config import ConfigPush, ShedConfig
from protocol.device import EnvironmentReading, ExtinguisherStatus, PostTelemetry, SocketReading, SocketState
from protocol.topics import Kind, device_topic, shed_topic
from shedwatch.mosquitto import Mosquitto

REPO = Path(__file__).resolve().parents[1]
SHED = "shed-a"
POSTS = [f"post-{i}" for i in range(1, 21)]
SOCKETS = 10
CLOCK = SystemClock()
TICKS = os.sysconf("SC_CLK_TCK")


def _client(port: int, cid: str, *, persistent: bool = False) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=MQTTProtocolVersion.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    if persistent:
        props.SessionExpiryInterval = 3600
    up = threading.Event()
    c.on_connect = lambda *_a: up.set()
    c.connect("127.0.0.1", port, clean_start=not persistent, properties=props)
    c.loop_start()
    if not up.wait(10):
        raise RuntimeError(f"cannot connect {cid}")
    return c


def _sockets_of(command: dict[str, Any]) -> range | tuple[int]:
    """The sockets a RelayCommand concerns: its ``socket``, or every socket of the post when it has none."""
    socket = command.get("socket")
    return range(1, SOCKETS + 1) if socket is None else (socket,)


BASE_TEMP_C = 45.0  # a warm socket: 66 degC is then a plausible climb (socket_overtemp), not a one-reading jump


class Posts:
    """20 posts x 10 sockets that obey relay commands and report; a background thread keeps telemetry flowing."""

    def __init__(self, port: int) -> None:
        self.client = _client(port, "bench-posts")
        keys = [(p, s) for p in POSTS for s in range(1, SOCKETS + 1)]
        self.relay = dict.fromkeys(keys, True)
        self.plugged = dict.fromkeys(keys, True)
        self.power = dict.fromkeys(keys, 200.0)
        self.temp = dict.fromkeys(keys, BASE_TEMP_C)
        self.busy: set[str] = set()  # posts a trial is driving: the background thread leaves them alone
        self.seq = 0
        self.commands = 0  # relay commands obeyed
        self.lock = threading.Lock()
        self.period_s = 10.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.client.on_message = self._on_relay
        self.client.subscribe(f"sw/v1/shed/{SHED}/dev/+/relay/set", qos=1)

    def _on_relay(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        doc = orjson.loads(msg.payload)
        post = msg.topic.split("/")[5]
        with self.lock:
            for socket in _sockets_of(doc):  # a post-level command (no socket) opens every relay of the post
                self.relay[(post, socket)] = doc["on"]
            self.commands += 1

    def publish(self, post: str, qos: int = 0) -> int:
        """One telemetry message of the post's current state; returns its seq."""
        with self.lock:
            self.seq += 1
            seq = self.seq
            readings = []
            for s in range(1, SOCKETS + 1):
                on = self.relay[(post, s)] and self.plugged[(post, s)]
                power = self.power[(post, s)] if on else 0.0
                readings.append(
                    SocketReading(
                        socket=s,
                        voltage_v=220.0,
                        current_a=round(power / 220, 3),
                        power_w=power,
                        energy_wh=100.0,
                        temp_c=self.temp[(post, s)],
                        relay=on,
                        state=SocketState.PLUGGED if self.plugged[(post, s)] else SocketState.EMPTY,
                    )
                )
            msg = PostTelemetry(
                src=post, seq=seq, ts=CLOCK.now_ms(), total_power_w=sum(r.power_w for r in readings), sockets=readings
            )
        self.client.publish(device_topic(Kind.POST_TELEMETRY, SHED, post), encode(msg), qos=qos)
        return seq

    def round(self) -> None:
        """Every post reports once."""
        for post in POSTS:
            self.publish(post)

    def cool(self) -> None:
        """Every socket's readings back to 200 W and warm; relays stay as the posts have them (cut ones open)."""
        with self.lock:
            for key in self.relay:
                self.power[key] = 200.0
                self.temp[key] = BASE_TEMP_C

    def normal(self) -> None:
        """Every socket back to a plugged, switched-on, 200 W, warm reading."""
        self.cool()
        with self.lock:
            for key in self.relay:
                self.relay[key] = self.plugged[key] = True

    def start_background(self) -> None:
        """Each post not busy reports every ``period_s``, staggered: the telemetry that flows to the cloud."""

        def run() -> None:
            next_round = time.monotonic()
            while not self._stop.is_set():
                for i, post in enumerate(POSTS):
                    target = next_round + i * self.period_s / len(POSTS)
                    if self._stop.wait(max(0.0, target - time.monotonic())):
                        return
                    if post not in self.busy:
                        self.publish(post)
                next_round += self.period_s

        self._thread = threading.Thread(target=run, name="bench-posts", daemon=True)
        self._thread.start()

    def stop_background(self) -> None:
        """Stop the background reports."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


class Sensors:
    """The shed's environment sensor and extinguisher."""

    def __init__(self, port: int) -> None:
        self.client = _client(port, "bench-sensors")
        self.seq = 0

    def environment(self, **over: Any) -> int:
        """Publish one env-1 reading (normal unless overridden); returns its seq."""
        self.seq += 1
        values: dict[str, Any] = {
            "temp_c": 22.0,
            "smoke_obscuration_pct_m": 0.0,
            "smoke_alarm": False,
            "h2_ppm": 0.0,
            "co_ppm": 0.0,
            "voc_ppm": 0.0,
        } | over
        msg = EnvironmentReading(src="env-1", seq=self.seq, ts=CLOCK.now_ms(), **values)
        self.client.publish(device_topic(Kind.ENVIRONMENT, SHED, "env-1"), encode(msg), qos=1)
        return self.seq

    def extinguisher(self, *, discharged: bool) -> int:
        """Publish one ext-1 status; returns its seq."""
        self.seq += 1
        msg = ExtinguisherStatus(
            src="ext-1",
            seq=self.seq,
            ts=CLOCK.now_ms(),
            pressure_mpa=1.2,
            discharged=discharged,
            removed=False,
            battery_pct=90.0,
        )
        self.client.publish(device_topic(Kind.EXTINGUISHER, SHED, "ext-1"), encode(msg), qos=1)
        return self.seq


class Probe:
    """One subscriber on the shed broker: arrival times of device messages (by source and seq) and relay-offs."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        # waiters sleep on it until a message arrives: a trial loop polling every millisecond took the GIL from
        # the probe's network thread, whose arrival stamps then came late
        self.seen = threading.Condition(self.lock)
        self.t_in: dict[tuple[str, int], float] = {}  # (src, seq) -> arrival
        self.last_tel: dict[str, float] = {}  # post -> arrival of its latest telemetry
        self.offs: list[tuple[float, str, int, str]] = []  # (arrival, post, socket, reason)
        self.commands = 0  # relay commands seen, never cleared
        self.client = _client(port, "bench-probe")
        self.client.on_message = self._on
        self.client.subscribe(
            [
                (f"sw/v1/shed/{SHED}/dev/+/telemetry", 0),
                (f"sw/v1/shed/{SHED}/dev/+/environment", 0),
                (f"sw/v1/shed/{SHED}/dev/+/extinguisher", 0),
                (f"sw/v1/shed/{SHED}/dev/+/relay/set", 0),
            ]
        )
        time.sleep(0.3)

    def _on(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        dev = msg.topic.split("/")[5]
        doc = orjson.loads(msg.payload)
        with self.lock:
            self.seen.notify_all()
            if msg.topic.endswith("/relay/set"):
                self.commands += 1
                if not doc["on"]:  # a post-level off counts as a relay-off of every socket of its post
                    self.offs += [(now, dev, socket, doc["reason"]) for socket in _sockets_of(doc)]
                return
            self.t_in[(dev, doc["seq"])] = now
            if msg.topic.endswith("/telemetry"):
                self.last_tel[dev] = now

    def clear(self) -> None:
        """Forget everything seen."""
        with self.lock:
            self.t_in.clear()
            self.offs.clear()
            self.last_tel.clear()

    def wait_off(
        self, reason: str, post: str | None = None, socket: int | None = None, n: int = 1, timeout: float = 3.0
    ) -> list[float]:
        """Arrival times of the first ``n`` relay-offs for this reason (of one post / socket), waiting up to timeout."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                got = [
                    t
                    for t, p, k, r in self.offs
                    if r == reason and (post is None or p == post) and (socket is None or k == socket)
                ]
                left = deadline - time.monotonic()
                if len(got) >= n or left <= 0:
                    return got[:n]
                self.seen.wait(left)

    def cut_as(self, post: str, socket: int, reason: str) -> list[str]:
        """The other reasons of the relay-offs seen for this socket since the last clear (a latch from before)."""
        with self.lock:
            return sorted({r for _, p, k, r in self.offs if p == post and k == socket and r != reason})

    def arrival(self, src: str, seq: int, timeout: float = 3.0) -> float | None:
        """When the probe saw device message (src, seq)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while (t := self.t_in.get((src, seq))) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.seen.wait(left)
            return t


def _proc_usage(pid: int) -> tuple[float, float]:
    """(cpu seconds, rss MB) of a process from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    rss_kb = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return cpu, rss_kb / 1024


def _config(path: Path, shed_port: int, cloud_port: int, data: Path) -> None:
    posts = "".join(f'[[shed.posts]]\nid = "{p}"\nsockets = {SOCKETS}\n' for p in POSTS)
    path.write_text(
        f"""[agent]
shed_broker = "mqtt://127.0.0.1:{shed_port}"
cloud_broker = "mqtt://127.0.0.1:{cloud_port}"
data_dir = "{data}"
reconnect_max_s = 1
drain_rate_per_s = 1000000
drain_window = 1000
# no cloud ingest here (a subscriber plays the cloud): rows leave on the broker's PUBACK
ack = "broker"

[shed]
shed = "{SHED}"
extinguishers = ["ext-1", "ext-2"]
sensors = ["env-1"]
{posts}"""
    )


def _reset(cloud_port: int) -> None:
    _cloud_send(cloud_port, Kind.CLOUD_COMMAND, _command("reset_trip"))


def _command(action: Literal["reset_trip"]) -> Command:
    now = CLOCK.now_ms()
    return Command(
        src="cloud", seq=1, ts=now, request_id=f"{action}-{now}", expires_at=now + 60_000, actor="bench", action=action
    )


def _cloud_send(cloud_port: int, kind: Kind, message: Any, *, retain: bool = False) -> None:
    c = _client(cloud_port, f"bench-cloud-{kind.name.lower()}")
    c.publish(shed_topic(kind, SHED), encode(message), qos=1, retain=retain).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()


# every trip type the edge has, by the name the results use, with the reason its relay-off carries
TRIP_REASONS = {
    "over_power": "over_power",
    "over_temperature": "socket_overtemp",
    "rate_of_rise": "thermal_runaway",
    "off_gas": "off_gas",
    "smoke": "smoke",
    "extinguisher_discharge": "extinguisher_discharged",
    "stale_telemetry": "stale_telemetry",
}
STALE_S = 2.0  # the stale phase pushes sample_interval_s = 1, stale_samples = 2 (default 10 s x 3: minutes of waiting)


class Bench:
    """The running agent and its devices; one method per phase."""

    def __init__(self, posts: Posts, sensors: Sensors, probe: Probe, cloud_port: int) -> None:
        self.posts = posts
        self.sensors = sensors
        self.probe = probe
        self.cloud_port = cloud_port
        self.lat: dict[str, list[float]] = {name: [] for name in TRIP_REASONS}
        self.missing: dict[str, int] = dict.fromkeys(TRIP_REASONS, 0)
        self.shed_all: list[float] = []  # shed trips: until the last of the 200 relay-offs
        self.unmeasured: list[dict[str, Any]] = []  # trials counted missing, and why

    def restore(self) -> None:
        """Sensors and readings normal, posts confirm their cuts, latches reset, every socket switched on again.

        Every reading is normal before the reset: a post still reporting an over-temperature trial's 66 degC
        (the background reports, any time) re-tripped its sockets as socket_overtemp right after the reset, and
        the rate-of-rise trial on such a latched socket then saw no thermal_runaway cut ("no_relay_off").
        """
        self._obeyed()  # before the posts report: a cut they had not obeyed yet was left unconfirmed (see below)
        self.sensors.environment()
        self.sensors.extinguisher(discharged=False)
        self.posts.cool()
        self.posts.round()  # every post reports its cut sockets off: the agent's relay commands are confirmed
        time.sleep(0.3)
        _reset(self.cloud_port)
        time.sleep(0.4)
        self._obeyed()
        self.posts.normal()
        self.posts.round()
        time.sleep(0.3)
        self.probe.clear()

    def _obeyed(self, timeout: float = 5.0) -> None:
        """Wait until the simulated posts have obeyed every relay command the probe saw.

        A cut's last relay-offs, late at a starved subscriber, turned sockets off after normal() (the stale
        phase then found posts already off: "missing" trials with nothing to cut); and a post that reported
        before obeying left the agent's command unconfirmed, so its retry 2 s later cut the socket again.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.probe.lock:
                seen = self.probe.commands
            with self.posts.lock:
                if self.posts.commands >= seen:
                    return
            time.sleep(0.01)

    def _record(
        self, name: str, t_in: float | None, offs: list[float], key: str = "", socket: tuple[str, int] | None = None
    ) -> dict[str, Any] | None:
        """One trial: measured, or counted missing with why (``unmeasured`` in the output; the entry returned).

        ``socket``: the (post, socket) a socket trial drives, to name the latch it already had (``already_cut``).
        """
        if t_in is not None and offs and offs[0] >= t_in:
            self.lat[name].append((offs[0] - t_in) * 1000)
            return None
        self.missing[name] += 1
        cut_as = self.probe.cut_as(*socket, TRIP_REASONS[name]) if socket is not None and not offs else []
        if t_in is None:
            why = "trigger_not_seen"  # the probe never saw the triggering message (or last report): not measurable
        elif cut_as:
            why = "already_cut"  # cut for another reason since the restore: latched before the trial (cut_as)
        elif not offs:
            why = "no_relay_off"  # a real miss unless the socket was already off (see on_at_silence)
        else:
            why = "cut_before_trigger"  # the edge cut earlier than this trial's trigger: a prior reading tripped it
        entry: dict[str, Any] = {"trip": name, "key": key, "why": why}
        if cut_as:
            entry["cut_as"] = cut_as
        if t_in is not None and offs:
            entry["off_minus_trigger_ms"] = round((offs[0] - t_in) * 1000, 2)
        self.unmeasured.append(entry)
        return entry

    def socket_trips(self, name: str, trials: int) -> None:
        """One hot socket at a time (over-power 1,500 W or over-temperature 66 degC), 20 ms apart."""
        reason = TRIP_REASONS[name]
        keys = [(p, s) for s in range(1, SOCKETS + 1) for p in POSTS]
        done = 0
        while done < trials:
            for post, sock in keys[: min(len(keys), trials - done)]:
                self.posts.busy.add(post)
                with self.posts.lock:
                    if name == "over_power":
                        self.posts.power[(post, sock)] = 1500.0
                    else:
                        self.posts.temp[(post, sock)] = 66.0
                seq = self.posts.publish(post, qos=1)
                offs = self.probe.wait_off(reason, post, sock)
                self._record(name, self.probe.arrival(post, seq), offs, f"{post}/{sock}", (post, sock))
                self.posts.busy.discard(post)
                done += 1
                time.sleep(0.02)
            self.restore()

    def rate_of_rise(self, rounds: int) -> None:
        """Every post ramps one socket by 2.5 degC every 1.1 s (staggered): the 4th reading trips (>= 1 degC/s, 3 s).

        The edge judges the 3 s on its receipt times: 3.3 s apart as sent, so a first reading received over 0.3 s
        late against the 4th would not trip yet; a miss lists ``rise_span_s`` as the probe saw it to tell.
        """
        for r in range(rounds):
            sock = r % SOCKETS + 1
            self.posts.busy.update(POSTS)
            first: dict[str, int] = {}
            last: dict[str, int] = {}
            for step in range(4):
                t0 = time.monotonic()
                for i, post in enumerate(POSTS):
                    time.sleep(max(0.0, t0 + i * 0.05 - time.monotonic()))
                    with self.posts.lock:
                        self.posts.temp[(post, sock)] = BASE_TEMP_C + 2.5 * step
                    last[post] = self.posts.publish(post, qos=1)
                    first.setdefault(post, last[post])
                time.sleep(max(0.0, t0 + 1.1 - time.monotonic()))
            for post in POSTS:
                offs = self.probe.wait_off("thermal_runaway", post, sock)
                t_in = self.probe.arrival(post, last[post])
                entry = self._record("rate_of_rise", t_in, offs, f"{post}/{sock}", (post, sock))
                t_first = self.probe.arrival(post, first[post], timeout=0.0)
                if entry is not None and t_in is not None and t_first is not None:
                    entry["rise_span_s"] = round(t_in - t_first, 3)
            self.posts.busy.clear()
            self.restore()

    def shed_trips(self, name: str, trials: int) -> None:
        """A sensor's reading that cuts the whole shed: latency to the first relay-off (and to the last)."""
        reason = TRIP_REASONS[name]
        for _ in range(trials):
            if name == "off_gas":
                src, seq = "env-1", self.sensors.environment(h2_ppm=500.0)
            elif name == "smoke":
                src, seq = "env-1", self.sensors.environment(smoke_alarm=True, smoke_obscuration_pct_m=12.0)
            else:
                src, seq = "ext-1", self.sensors.extinguisher(discharged=True)
            n = len(POSTS) * SOCKETS
            offs = self.probe.wait_off(reason, n=n)
            t_in = self.probe.arrival(src, seq)
            self._record(name, t_in, offs, src)
            if t_in is not None and len(offs) == n:
                self.shed_all.append((offs[-1] - t_in) * 1000)
            self.restore()

    def stale(self, trials: int) -> None:
        """Posts fall silent one by one, 0.2 s apart: each is cut ``STALE_S`` after its last report."""
        self.posts.period_s = 0.5
        time.sleep(2 * self.posts.period_s + 0.5)  # the faster reporting has taken over
        self.probe.clear()
        # every post reports once more before the first falls silent: its last report is then one the probe saw
        # (cleared right before silencing, post-1's last report was forgotten: a trial "missing" with no cause)
        time.sleep(self.posts.period_s + 0.2)
        silenced = POSTS[: min(trials, len(POSTS))]
        on_at_silence: dict[str, bool] = {}
        for post in silenced:
            self.posts.busy.add(post)
            with self.posts.lock:
                on_at_silence[post] = any(self.posts.relay[(post, s)] for s in range(1, SOCKETS + 1))
            time.sleep(0.2)
        for post in silenced:
            offs = self.probe.wait_off("stale_telemetry", post, timeout=STALE_S + 3)
            with self.probe.lock:
                last = self.probe.last_tel.get(post)
            # the edge's deadline: stale is strictly more than the interval on its ms clock, i.e. 1 ms after it
            due = None if last is None else last + STALE_S + 0.001
            before = len(self.unmeasured)
            self._record("stale_telemetry", due, offs, post)
            if len(self.unmeasured) > before:
                self.unmeasured[-1]["on_at_silence"] = on_at_silence[post]
        self.posts.busy.clear()
        self.restore()


def _push_fast_sampling(cloud_port: int) -> None:
    """Config version 2: the same shed with sample_interval_s = 1 and stale_samples = 2 (stale after 2 s)."""
    config = ShedConfig.model_validate(
        {
            "version": 2,
            "shed": SHED,
            "extinguishers": ["ext-1", "ext-2"],
            "sensors": ["env-1"],
            "posts": [{"id": p, "sockets": SOCKETS} for p in POSTS],
            "thresholds": {"sample_interval_s": STALE_S / 2, "stale_samples": 2},
        }
    )
    push = ConfigPush(src="cloud", seq=2, ts=CLOCK.now_ms(), config=config, actor="bench")
    _cloud_send(cloud_port, Kind.CLOUD_CONFIG, push, retain=True)


def main() -> int:
    """Run the benchmark and print one JSON object last."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--nice",
        type=int,
        default=0,
        help="scheduling priority of the agent, the shed broker and this probe (deploy/ runs the agent at -10)",
    )
    args = ap.parse_args()
    # the probe stamps arrivals on its network thread in this process, beside the simulated posts, the background
    # reports and the trial loop: at CPython's default 5 ms switch interval a stamp waited for the GIL that long
    # (a trigger stamped late shows as a 0.05 ms "trip"; a relay-off stamped late as a slow one). As the agent does.
    sys.setswitchinterval(GIL_SWITCH_S)
    steady_s = 20.0 if args.quick else 60.0
    socket_trials = 100 if args.quick else 500
    ramp_rounds = 1 if args.quick else 3
    shed_trials = 20 if args.quick else 60  # per shed-wide trip type: a p99 over 8 trials was its worst trial
    backlog_rounds = 15 if args.quick else 60

    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-edge-"))
    # as deploy/mosquitto/shed.conf: without it Nagle + delayed ACKs hold small packets up to 40 ms
    shed = Mosquitto(workdir=tmp / "shed", extra_config="set_tcp_nodelay true").start()
    _renice(shed.proc.pid if shed.proc else 0, args.nice)
    _renice(os.getpid(), args.nice)
    cloud = Mosquitto(workdir=tmp / "cloud", persistence=True).start()
    cfg = tmp / "shed.toml"
    _config(cfg, shed.port, cloud.port, tmp / "data")
    log = (tmp / "agent.log").open("wb")
    agent = subprocess.Popen(
        [sys.executable, "-m", "shedwatch", "edge", "--config", str(cfg), "--log-level", "WARNING"],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _renice(agent.pid, args.nice)
    result: dict[str, Any] = {"nice": args.nice}
    try:
        # the cloud side: one subscriber takes everything the edge sends (telemetry batches every 5 s, events)
        sink = _client(cloud.port, "bench-cloud-sink", persistent=True)
        received = [0]
        sink.on_message = lambda *_a: received.__setitem__(0, received[0] + 1)
        sink.subscribe(f"sw/v1/edge/{SHED}/#", qos=1)
        posts = Posts(shed.port)
        sensors = Sensors(shed.port)
        time.sleep(1.5)  # agent connected and subscribed
        # 1. steady state at the default sampling: each post reports every 10 s, staggered
        posts.round()
        time.sleep(2.0)
        posts.start_background()
        cpu0, _ = _proc_usage(agent.pid)
        t0 = time.monotonic()
        time.sleep(steady_s)
        cpu1, rss = _proc_usage(agent.pid)
        result["cpu_pct"] = round(100 * (cpu1 - cpu0) / (time.monotonic() - t0), 2)
        result["rss_mb"] = round(rss, 1)

        # 2. every trip type, one at a time, while telemetry keeps flowing to the connected cloud
        cloud_before = received[0]
        bench = Bench(posts, sensors, Probe(shed.port), cloud.port)
        bench.restore()
        bench.socket_trips("over_power", socket_trials)
        bench.socket_trips("over_temperature", socket_trials)
        bench.rate_of_rise(ramp_rounds)
        for name in ("off_gas", "smoke", "extinguisher_discharge"):
            bench.shed_trips(name, shed_trials)
        _push_fast_sampling(cloud.port)
        bench.stale(len(POSTS))
        result["cloud_msgs_during_trials"] = received[0] - cloud_before
        result["unmeasured"] = bench.unmeasured
        everything: list[float] = []
        worst_p99 = 0.0
        for name, values in bench.lat.items():
            ordered = sorted(values)
            everything += ordered
            p99 = round(percentile(ordered, 99), 3) if ordered else float("nan")
            worst_p99 = max(worst_p99, p99) if ordered else worst_p99
            result[f"{name}_p99_ms"] = p99
            result[f"{name}_p50_ms"] = round(percentile(ordered, 50), 3) if ordered else float("nan")
            result[f"{name}_trials"] = len(ordered)
            result[f"{name}_missing"] = bench.missing[name]
        result["interlock_p99_ms"] = worst_p99  # the worst trip type's p99: every trip must be fast
        result["interlock_p50_ms"] = round(percentile(everything, 50), 3)
        result["interlock_max_ms"] = round(max(everything), 3)
        result["interlock_over_10ms"] = sum(1 for x in everything if x > 10)
        result["interlock_missing"] = sum(bench.missing.values())
        if bench.shed_all:
            result["shed_cut_all_200_p99_ms"] = round(percentile(bench.shed_all, 99), 3)
            result["shed_cut_all_200_p50_ms"] = round(percentile(bench.shed_all, 50), 3)
            result["shed_cut_all_200_trials"] = len(bench.shed_all)
        posts.stop_background()
        time.sleep(0.5)
        sink.disconnect()
        sink.loop_stop()

        # 3. drain: status events pile up in the outbox while the cloud broker is down
        sub = _client(cloud.port, "bench-cloud-ingest", persistent=True)
        # back within a second of the broker, as the agent (reconnect_max_s = 1): paho's default backoff doubles
        # from 1 s, and a subscriber that came back after the drain had ended measured nothing (0.0 msgs/s)
        sub.reconnect_delay_set(1, 1)
        seen: dict[int, float] = {}

        def drained_one(_c: Any, _u: Any, m: mqtt.MQTTMessage) -> None:
            # the outbox's streams only: a heartbeat or the state carries the outbox's last seq, not its own, and
            # would pass for the backlog's last message
            if m.topic.endswith(("/event", "/telemetry", "/result")):  # sw/v1/edge/{shed}/event ...
                seen.setdefault(orjson.loads(m.payload)["seq"], time.perf_counter())

        sub.on_message = drained_one
        sub.subscribe(f"sw/v1/edge/{SHED}/#", qos=1)
        time.sleep(1.0)
        before = max(seen) if seen else 0
        cloud.stop()
        for n in range(backlog_rounds):
            with posts.lock:
                for key in posts.plugged:
                    posts.plugged[key] = n % 2 == 1
                    posts.relay[key] = n % 2 == 1
            for post in POSTS:
                posts.publish(post, qos=1)
            time.sleep(0.05)
        time.sleep(1.0)
        data = tmp / "data" / "outbox.sqlite"
        backlog = _depth(data)
        last = _outbox_int(data, "SELECT COALESCE(MAX(seq), 0) FROM outbox")
        cloud.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _depth(data) > 0:
            time.sleep(0.05)
        # the outbox empties on the broker's PUBACKs: wait until the subscriber has the backlog's last message too
        # (QoS 1 in order), and time the backlog alone: later events and batches are not part of the drain
        deadline = min(deadline, time.monotonic() + 30)
        while time.monotonic() < deadline and max(seen, default=0) < last:
            time.sleep(0.05)
        drained = sorted(t for s, t in seen.items() if before < s <= last)
        result["drain_backlog_msgs"] = backlog
        if len(drained) > 1:
            result["drain_msgs_per_s"] = round((len(drained) - 1) / (drained[-1] - drained[0]), 1)
        else:
            result["drain_msgs_per_s"] = 0.0
        sub.disconnect()
        sub.loop_stop()
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            rc = agent.wait(15)
        except subprocess.TimeoutExpired:
            agent.kill()
            rc = -9
        result["agent_exit"] = rc
        shed.kill()
        cloud.kill()
        log.close()
    out = {k: result[k] for k in ("interlock_p50_ms", "interlock_p99_ms", "rss_mb", "cpu_pct", "drain_msgs_per_s")}
    out |= {k: v for k, v in result.items() if k not in out}
    emit(out)
    return 0


def _renice(pid: int, nice: int) -> None:
    """Raise a process's priority as deploy/ does on the Pi (needs root; silently skipped otherwise)."""
    with contextlib.suppress(PermissionError, OSError):
        os.setpriority(os.PRIO_PROCESS, pid, nice)


def _depth(path: Path) -> int:
    return _outbox_int(path, "SELECT COUNT(*) FROM outbox")


def _outbox_int(path: Path, sql: str) -> int:
    """One number from the agent's outbox database, read-only."""
    import sqlite3

    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute(sql).fetchone()[0])
    finally:
        db.close()


if __name__ == "__main__":
    sys.exit(main())
