"""Benchmark of fleet mode: can one process drive >= 20,000 msg/s into a real mosquitto, steadily and exactly?

    python -m bench.sim_fleet [--quick]

Starts its own mosquitto (queue limits lifted), a counting subscriber in a separate
process (raw socket, QoS 0, counts PUBLISH packets: proof that the broker delivered
them), then runs the fleet (2,000 posts x 10 sockets every 0.1 s = 20,000 msg/s,
QoS 1) and prints one JSON object. Without --quick it also probes the ceiling by
asking for 80,000 msg/s.
"""

import argparse
import json
import multiprocessing as mp
import sys
import time
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

from bench.common import emit
from protocol.brokerurl import BrokerUrl
from shedwatch.mosquitto import Mosquitto
from simulators.fleet import Fleet, FleetSpec
from simulators.rawmqtt import CountingSubscriber


def _subscriber(url: str, expected: int, conn: Connection, quiet_s: float) -> None:
    sub = CountingSubscriber(BrokerUrl.parse(url), "sw/v1/shed/+/dev/+/telemetry", "bench-counter")
    sub.start()
    conn.send("ready")
    last, last_change = 0, time.monotonic()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if sub.received >= expected:
            break
        if sub.received != last:
            last, last_change = sub.received, time.monotonic()
        elif conn.poll() and time.monotonic() - last_change > quiet_s:
            break  # the publisher is done and nothing more arrives
    conn.send(sub.stop())


def measure(broker: Mosquitto, spec: FleetSpec) -> dict[str, Any]:
    """Run one fleet against the broker with a counting subscriber; return the figures."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_subscriber, args=(broker.url, spec.total, child, 2.0), daemon=True)
    proc.start()
    if not parent.poll(15) or parent.recv() != "ready":
        raise RuntimeError("counting subscriber did not start")
    fleet = Fleet(spec, BrokerUrl.parse(broker.url))
    fleet.open()
    result = fleet.run()
    parent.send("done")
    received = parent.recv() if parent.poll(120) else -1
    proc.join(10)
    out = asdict(result)
    out["received"] = received
    out["lost"] = result.sent - received if received >= 0 else None
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON object as the last line."""
    ap = argparse.ArgumentParser(prog="python -m bench.sim_fleet")
    ap.add_argument("--quick", action="store_true", help="3 s instead of 10 s, no ceiling probe")
    ap.add_argument("--connections", type=int, default=4)
    args = ap.parse_args(argv)
    duration = 3.0 if args.quick else 10.0
    spec = FleetSpec(sheds=20, posts=100, sockets=10, interval_s=0.1, duration_s=duration, connections=args.connections)
    with Mosquitto() as broker:
        main_run = measure(broker, spec)
        print(f"20k run: {json.dumps(main_run)}", file=sys.stderr)
        report: dict[str, Any] = {
            "requested_msgs_per_s": main_run["requested_msgs_per_s"],
            "achieved_msgs_per_s": main_run["achieved_msgs_per_s"],
            "sent": main_run["sent"],
            "received": main_run["received"],
            "acked": main_run["acked"],
            "lost": main_run["lost"],
            "within_5pct": abs(main_run["achieved_msgs_per_s"] / main_run["requested_msgs_per_s"] - 1) <= 0.05,
            "max_lag_ms": main_run["max_lag_ms"],
            "qos": spec.qos,
            "connections": spec.connections,
            "payload": "PostTelemetry, 10 sockets (~1.6 kB)",
            "duration_s": duration,
        }
        if not args.quick:
            probe = FleetSpec(sheds=20, posts=100, sockets=10, interval_s=0.025, duration_s=5.0)
            ceiling = measure(broker, probe)
            print(f"ceiling probe: {json.dumps(ceiling)}", file=sys.stderr)
            report["ceiling_requested_msgs_per_s"] = ceiling["requested_msgs_per_s"]
            report["ceiling_achieved_msgs_per_s"] = ceiling["achieved_msgs_per_s"]
            report["ceiling_received"] = ceiling["received"]
            report["ceiling_sent"] = ceiling["sent"]
    emit(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
