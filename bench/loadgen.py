"""The load generator of bench.api: a separate process driving the API over loopback with raw sockets.

python -m bench.loadgen http URL PATH... --conns C --seconds S [--header 'Name: value']
python -m bench.loadgen sse URL --clients N --expect K --timeout S

Why raw asyncio sockets and not httpx or a thread pool: on 2 cores the loader competes with the server for
CPU, and httpx spends ~10x more Python per request than writing a prepared request and reading the response
by its Content-Length (on uvloop, as the server). Each connection is HTTP/1.1 keep-alive with one request in
flight (closed loop), so the latency measured is what a client waits, and the rate is what the server
sustains at that concurrency.

``http``: prints one JSON line {requests, errors, seconds, rps, p50_ms, p99_ms}.
``sse``: opens N stream clients; prints {"connected": N} once every one has its response headers, then waits
until each client has seen K distinct ``"updated_ts"`` values in its frames (or the timeout) and prints
{"received": {updated_ts: [wall-clock receive times, s]}, "missing": n, "disconnected": n}.
"""

import argparse
import asyncio
import re
import sys
import time
from urllib.parse import urlsplit

import orjson
import uvloop

from bench.common import percentile

UPDATED_TS = re.compile(rb'"updated_ts":(\d+)')


def _request(host: str, path: str, headers: list[str]) -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers)
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _http_worker(
    host: str, port: int, requests: list[bytes], until: float, lat: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    try:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            status = await _read_response(reader)
            lat.append(time.perf_counter() - t0)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def run_http(url: str, paths: list[str], conns: int, seconds: float, headers: list[str]) -> dict[str, object]:
    """Closed-loop load on ``paths`` (round robin per connection) for ``seconds``."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [_request(host, p, headers) for p in paths]
    lat: list[float] = []
    errors: list[int] = []
    # A short warm-up (connections, caches), not measured.
    await asyncio.gather(*(_http_worker(host, port, requests, time.perf_counter() + 0.5, [], []) for _ in range(conns)))
    start = time.perf_counter()
    until = start + seconds
    await asyncio.gather(
        *(_http_worker(host, port, requests[k:] + requests[:k], until, lat, errors) for k in range(conns))
    )
    elapsed = time.perf_counter() - start
    ms = [x * 1000 for x in lat]
    return {
        "requests": len(lat),
        "errors": len(errors),
        "seconds": round(elapsed, 2),
        "rps": round(len(lat) / elapsed, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
    }


class SseClient:
    """One stream reader: remembers when it first saw each updated_ts."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.connected = asyncio.Event()
        self.closed = False

    async def run(self, host: str, port: int, path: str) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(_request(host, path, ["Accept: text/event-stream"]))
            await reader.readuntil(b"\r\n\r\n")
            self.connected.set()
            rest = b""
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                now = time.time()
                # Only whole frames: a read can end inside one (and every client's bytes are alike, so a marker
                # cut in two would be misread by all of them at once).
                whole, sep, rest = (rest + chunk).rpartition(b"\n\n")
                if not sep:
                    continue  # no frame ended yet: rest holds it all
                for m in UPDATED_TS.finditer(whole):
                    self.seen.setdefault(int(m.group(1)), now)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self.closed = True
            self.connected.set()


async def run_sse(url: str, clients: int, expect: int, wait_s: float) -> None:
    """Connect ``clients`` stream readers, report, then collect until each saw ``expect`` markers."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    readers = [SseClient() for _ in range(clients)]
    tasks = []
    for i, r in enumerate(readers):
        tasks.append(asyncio.create_task(r.run(host, port, parts.path or "/api/v1/stream")))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # do not flood the accept queue
    await asyncio.gather(*(r.connected.wait() for r in readers))
    sys.stdout.write(orjson.dumps({"connected": sum(not r.closed for r in readers)}).decode() + "\n")
    sys.stdout.flush()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if all(len(r.seen) >= expect or r.closed for r in readers):
            break
        await asyncio.sleep(0.1)
    received: dict[str, list[float]] = {}
    for r in readers:
        for ts, at in r.seen.items():
            received.setdefault(str(ts), []).append(at)
    missing = sum(max(0, expect - len(r.seen)) for r in readers)
    out = {"received": received, "missing": missing, "disconnected": sum(r.closed for r in readers)}
    sys.stdout.write(orjson.dumps(out).decode() + "\n")
    sys.stdout.flush()
    for t in tasks:
        t.cancel()


def main() -> None:
    """Parse the command line and run one load."""
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="mode", required=True)
    h = sub.add_parser("http")
    h.add_argument("url")
    h.add_argument("paths", nargs="+")
    h.add_argument("--conns", type=int, default=32)
    h.add_argument("--seconds", type=float, default=10.0)
    h.add_argument("--header", action="append", default=[])
    s = sub.add_parser("sse")
    s.add_argument("url")
    s.add_argument("--clients", type=int, default=1000)
    s.add_argument("--expect", type=int, required=True)
    s.add_argument("--timeout", type=float, default=60.0)
    args = p.parse_args()
    if args.mode == "http":
        result = uvloop.run(run_http(args.url, args.paths, args.conns, args.seconds, args.header))
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
    else:
        uvloop.run(run_sse(args.url, args.clients, args.expect, args.timeout))


if __name__ == "__main__":
    main()
