"""The stream load of bench.api: a separate process holding many Server-Sent Events clients over loopback.

python -m bench.loadgen sse URL --clients N --expect K --timeout S

Opens N stream clients (raw asyncio sockets on uvloop: a thousand httpx streams would take more CPU from the
server than they measure); prints {"connected": N} once every one has its response headers, then waits until
each client has seen K distinct ``"updated_ts"`` values in its frames (or the timeout) and prints
{"received": {updated_ts: [wall-clock receive times, s]}, "missing": n, "disconnected": n}.
The HTTP routes are loaded by wrk (bench.api), a C load generator that leaves the server more of the CPU.
"""

import argparse
import asyncio
import re
import sys
import time
from urllib.parse import urlsplit

import orjson
import uvloop

UPDATED_TS = re.compile(rb'"updated_ts":(\d+)')


def _request(host: str, path: str, headers: list[str]) -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers)
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


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
    """Parse the command line and run the stream load."""
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("sse")
    s.add_argument("url")
    s.add_argument("--clients", type=int, default=1000)
    s.add_argument("--expect", type=int, required=True)
    s.add_argument("--timeout", type=float, default=60.0)
    args = p.parse_args()
    uvloop.run(run_sse(args.url, args.clients, args.expect, args.timeout))


if __name__ == "__main__":
    main()
