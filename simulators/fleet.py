"""Fleet mode: many sheds x posts x sockets publishing post telemetry at a steady, accurate rate.

Each post sends one PostTelemetry (all its sockets) every ``interval`` seconds, so
the fleet asks for sheds x posts / interval messages per second. Message k goes to
post k mod P with that post's next sequence number and is due at start + k / rate:
the schedule is computed, never accumulated, so the rate does not drift. Payloads
are real contract messages, rendered once per post by the protocol models and then
re-stamped with seq and ts by byte splicing (a full pydantic round per message would
cost more than the whole budget at 20k msg/s). Posts are spread over several MQTT
connections; one post always uses the same connection, so its messages stay in order.
"""

import argparse
import json
import random
import sys
import threading
import time
from dataclasses import asdict, dataclass

from protocol.brokerurl import BrokerUrl
from protocol.clock import Clock, SystemClock, clock_from_spec
from protocol.codec import decode, encode
from protocol.device import PostTelemetry, SocketReading, SocketState
from protocol.errors import ProtocolError
from protocol.topics import Kind, device_topic
from simulators.rawmqtt import RawMqttError, RawPublisher

_SEQ_MARK = 987_654_321_987
_TS_MARK = 4_000_000_000_000
MAX_BATCH = 2000  # messages per write at most: bounds the burst after a scheduling hiccup
ACK_WINDOW = 20_000  # QoS 1 publishes in flight per connection at most (packet ids are 16-bit)


@dataclass(frozen=True, slots=True)
class FleetSpec:
    """What to simulate and how fast."""

    sheds: int
    posts: int
    sockets: int
    interval_s: float
    duration_s: float
    connections: int = 4
    qos: int = 1

    def __post_init__(self) -> None:
        if self.sheds < 1 or self.posts < 1 or not 1 <= self.sockets <= 64:
            raise ValueError("need sheds >= 1, posts >= 1 and 1 <= sockets <= 64")
        if self.interval_s <= 0 or self.duration_s <= 0:
            raise ValueError("interval and duration must be positive")
        if self.connections < 1 or self.qos not in (0, 1):
            raise ValueError("connections >= 1 and qos 0 or 1")

    @property
    def post_count(self) -> int:
        """Posts in the whole fleet."""
        return self.sheds * self.posts

    @property
    def rate(self) -> float:
        """Requested messages per second."""
        return self.post_count / self.interval_s

    @property
    def total(self) -> int:
        """Exact number of messages the run sends: every post reports the same number of times."""
        return self.post_count * max(1, round(self.duration_s / self.interval_s))


@dataclass(frozen=True, slots=True)
class FleetResult:
    """What a fleet run did."""

    requested_msgs_per_s: float
    achieved_msgs_per_s: float
    sent: int
    expected: int
    acked: int
    elapsed_s: float
    max_lag_ms: float
    connections: int
    qos: int


def shed_id(i: int) -> str:
    """Id of fleet shed i."""
    return f"fleet-{i:04d}"


def post_id(j: int) -> str:
    """Id of post j within a fleet shed."""
    return f"post-{j:03d}"


def payload_template(src: str, sockets: int, rng: random.Random) -> tuple[bytes, bytes, bytes]:
    """A valid PostTelemetry for this post, split around its seq and ts values."""
    readings = []
    for n in range(1, sockets + 1):
        charging = rng.random() < 0.6
        power = round(rng.uniform(80, 380), 1) if charging else 0.0
        readings.append(
            SocketReading(
                socket=n,
                voltage_v=round(rng.uniform(216, 224), 1),
                current_a=round(power / 220, 3),
                power_w=power,
                energy_wh=round(rng.uniform(0, 5000), 2),
                temp_c=round(rng.uniform(18, 32), 2),
                relay=charging,
                state=SocketState.PLUGGED if charging else SocketState.EMPTY,
            )
        )
    msg = PostTelemetry(
        src=src,
        seq=_SEQ_MARK,
        ts=_TS_MARK,
        total_power_w=round(sum(r.power_w for r in readings), 1),
        sockets=readings,
    )
    raw = encode(msg)
    head, rest = raw.split(str(_SEQ_MARK).encode(), 1)
    middle, tail = rest.split(str(_TS_MARK).encode(), 1)
    return head, middle, tail


class Fleet:
    """Publishes the fleet's telemetry on a schedule over raw MQTT connections."""

    def __init__(self, spec: FleetSpec, url: BrokerUrl, *, clock: Clock | None = None, seed: int = 0) -> None:
        self.spec = spec
        self.url = url
        self.clock = clock or SystemClock()
        self.stop = threading.Event()
        rng = random.Random(seed)
        self.topics: list[bytes] = []
        self.templates: list[tuple[bytes, bytes, bytes]] = []
        for s in range(spec.sheds):
            for p in range(spec.posts):
                topic = device_topic(Kind.POST_TELEMETRY, shed_id(s), post_id(p)).encode()
                self.topics.append(len(topic).to_bytes(2, "big") + topic)
                self.templates.append(payload_template(post_id(p), spec.sockets, rng))
        # The splice must give contract-valid messages: check one rendered payload now, not in production.
        head, middle, tail = self.templates[0]
        decode(Kind.POST_TELEMETRY, head + b"0" + middle + str(self.clock.now_ms()).encode() + tail)
        self.pubs = [
            RawPublisher(url, f"fleet-{i}-{random.Random().getrandbits(32):08x}", qos=spec.qos)
            for i in range(spec.connections)
        ]

    def open(self) -> None:
        """Connect every publisher."""
        for pub in self.pubs:
            pub.connect()

    def close(self, ack_timeout: float = 30.0) -> None:
        """Wait for outstanding acknowledgements (QoS 1), then disconnect."""
        deadline = time.monotonic() + ack_timeout
        while any(p.inflight() for p in self.pubs) and time.monotonic() < deadline:
            time.sleep(0.005)
        for pub in self.pubs:
            pub.close()

    def run(self) -> FleetResult:
        """Publish the whole schedule (or until stop is set); return the counts and rates."""
        spec = self.spec
        rate, total, n_posts, n_conn = spec.rate, spec.total, spec.post_count, len(self.pubs)
        topics, templates, pubs = self.topics, self.templates, self.pubs
        window = min(ACK_WINDOW, *(p.receive_maximum for p in pubs))
        # Write in ticks of about 2 ms of traffic: per-message wakeups would spend the CPU in system calls.
        min_batch = max(1, int(rate * 0.002))
        k = 0
        max_lag = 0.0
        t0 = time.perf_counter()
        last_send = t0
        while k < total and not self.stop.is_set():
            elapsed = time.perf_counter() - t0
            due = min(total, int(elapsed * rate) + 1, k + MAX_BATCH)
            if due - k < min_batch and due < total:
                time.sleep(max(0.0, min(0.01, (k + min_batch) / rate - elapsed)))
                continue
            max_lag = max(max_lag, elapsed - k / rate)
            if spec.qos and any(p.inflight() >= window for p in pubs):
                time.sleep(0.0005)
                continue
            ts = str(self.clock.now_ms()).encode()
            batches: list[list[bytes]] = [[] for _ in range(n_conn)]
            for m in range(k, due):
                p = m % n_posts
                head, middle, tail = templates[p]
                pub_index = p % n_conn
                payload = b"".join((head, str(m // n_posts).encode(), middle, ts, tail))
                batches[pub_index].append(pubs[pub_index].packet(topics[p], payload))
            for pub, batch in zip(pubs, batches, strict=True):
                if batch:
                    pub.send(batch)
            k = due
            last_send = time.perf_counter()
        elapsed = max(last_send - t0 + 1.0 / rate, 1e-9)
        self.close()
        return FleetResult(
            requested_msgs_per_s=round(rate, 1),
            achieved_msgs_per_s=round(k / elapsed, 1),
            sent=k,
            expected=total,
            acked=sum(p.acked for p in pubs) if spec.qos else 0,
            elapsed_s=round(elapsed, 3),
            max_lag_ms=round(max_lag * 1000, 1),
            connections=n_conn,
            qos=spec.qos,
        )


def run_fleet_cli(args: argparse.Namespace) -> int:
    """Entry point of `shedwatch sim fleet`: prints one JSON object with the counts."""
    import signal

    try:
        spec = FleetSpec(
            sheds=args.sheds,
            posts=args.posts,
            sockets=args.sockets,
            interval_s=args.interval,
            duration_s=args.duration,
            connections=args.connections,
            qos=args.qos,
        )
        url = BrokerUrl.parse(args.broker)
        clock = clock_from_spec(args.clock)
    except (ValueError, ProtocolError) as exc:
        print(f"shedwatch sim fleet: {exc}", file=sys.stderr)
        return 2
    fleet = Fleet(spec, url, clock=clock)
    signal.signal(signal.SIGINT, lambda *_: fleet.stop.set())
    signal.signal(signal.SIGTERM, lambda *_: fleet.stop.set())
    try:
        fleet.open()
    except (OSError, RawMqttError) as exc:
        print(f"shedwatch sim fleet: cannot connect to {url}: {exc}", file=sys.stderr)
        return 1
    print(
        f"shedwatch sim fleet: {spec.post_count} posts x {spec.sockets} sockets, "
        f"{spec.rate:.0f} msg/s for {spec.total} messages on {url}",
        file=sys.stderr,
        flush=True,
    )
    try:
        result = fleet.run()
    except (OSError, RawMqttError) as exc:
        print(f"shedwatch sim fleet: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(result)), flush=True)
    return 0
