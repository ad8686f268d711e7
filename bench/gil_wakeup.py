"""How long a thread woken by its socket waits for the GIL while other threads compute.

    python -m bench.gil_wakeup [--quick]

The edge agent's hot path (the shed client's network thread) shares the interpreter with the
outbox writer, the uplink drain thread and the cloud client's thread, which work while the cloud
is connected. This reproduces that in one process: ``busy`` threads encode JSON events in a loop
(as the drain does), one thread waits on a socket, and another thread sends it a byte every 5 ms;
the wake-up latency is the time from the send to the waiting thread running. Measured with
CPython's default switch interval (5 ms) and with the agent's (edge.agent.GIL_SWITCH_S).
The last line of output is one JSON object.
"""

import socket
import sys
import threading
import time

import orjson

from bench.common import emit, parser, percentile
from edge.agent import GIL_SWITCH_S

EVENT = {"v": 1, "src": "shed-a", "seq": 1, "ts": 1, "type": "socket_status", "device": "post-1", "socket": 1}


def _busy(stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        orjson.dumps([EVENT | {"seq": n + i} for i in range(200)])  # holds the GIL, as encoding a batch does
        n += 1


def measure(switch_s: float, busy: int, samples: int) -> list[float]:
    """Wake-up latencies (ms) with ``busy`` computing threads and the given switch interval."""
    sys.setswitchinterval(switch_s)
    a, b = socket.socketpair()
    stop = threading.Event()
    sent: list[float] = []
    woke: list[float] = []

    def waiter() -> None:
        for _ in range(samples):
            b.recv(1)
            woke.append(time.perf_counter())

    workers = [threading.Thread(target=_busy, args=(stop,), daemon=True) for _ in range(busy)]
    for w in workers:
        w.start()
    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    for _ in range(samples):
        time.sleep(0.005)
        sent.append(time.perf_counter())
        a.send(b"x")
    t.join(30)
    stop.set()
    for w in workers:
        w.join(5)
    a.close()
    b.close()
    return [(w - s) * 1000 for s, w in zip(sent, woke, strict=False)]


def main() -> int:
    """Run both switch intervals with 0 and 2 busy threads; print one JSON object last."""
    args = parser(__doc__ or "").parse_args()
    samples = 200 if args.quick else 1000
    result: dict[str, float] = {}
    for label, switch in (("default_5ms", 0.005), ("agent", GIL_SWITCH_S)):
        for busy in (0, 2):
            lat = measure(switch, busy, samples)
            result[f"{label}_busy{busy}_p50_ms"] = round(percentile(lat, 50), 3)
            result[f"{label}_busy{busy}_p99_ms"] = round(percentile(lat, 99), 3)
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
