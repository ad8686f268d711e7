"""The API under load, served as in production: `shedwatch cloud` (uvicorn) in its own process.

    python -m bench.api [--quick] [--conns C] [--seconds S] [--clients N] [--changes K] [--poll S]

500 sockets of live state (10 sheds x 5 posts x 10 sockets, one community) are written into a fresh SQLite
state store; the cloud runs as an API process with ingest elsewhere (`--no-ingest`), following the store's
event feed every ``--poll`` s (SHEDWATCH_CLOUD_LIVE_POLL_S). A separate load process drives it over loopback:
wrk (C, HTTP/1.1 keep-alive, one thread, C connections each with one request in flight; bench/wrk_report.lua
prints its figures as JSON) for the HTTP routes, bench/loadgen.py (asyncio) for the stream:

* ``availability_*``: GET /api/v1/availability (public, every shed with its ETA) on C connections for S s;
* ``live_*``: GET /api/v1/sheds/{shed} (a shed's live state: 50 sockets with their newest readings) as an
  operator with a bearer token (checked on every request), round robin over the 10 sheds the same way;
* ``loader_ceiling_rps``: wrk the same way against bench/canned_server.py, a trivial server answering every
  request with a prepared response of the availability body's size: what the loader itself can drive on this
  machine, in the same run (the API's figures measure the API only while well under it), and
  ``loader_ceiling_p99_ms`` the tail latency the loader and the machine add by themselves;
* ``stream_*``: N clients on GET /api/v1/stream; this process then stores K socket status changes (one every
  100 ms, each with a distinct source ts) and every client reports when the ``availability`` event carrying
  that ts reached it. ``stream_p99_ms``: p99 over all (client, change) pairs of receive time minus the time
  the change was committed (both wall clock, one machine). ``stream_missing`` pairs never arrived.

Prints one JSON object (last line) with availability_rps, availability_p99_ms, live_rps, live_p99_ms,
stream_p99_ms and their details, plus the machine's load average at the start.
"""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.common import emit, parser, percentile
from cloud.core.access.roles import Principal, Role
from cloud.core.batch import Batch
from cloud.settings import CloudSettings
from cloud.state.store import StateStore
from protocol.config import PostSpec, ShedConfig
from protocol.uplink import EdgeState, SocketSnapshot, SocketStatus, SocketStatusChanged
from shedwatch.ports import free_port

REPO = Path(__file__).resolve().parents[1]
SHEDS = [f"shed-{i:02d}" for i in range(1, 11)]
POSTS = [f"post-{i}" for i in range(1, 6)]
SOCKETS = 10


STATUSES = list(SocketStatus)


def _seeded_status(post: int, socket: int) -> SocketStatus:
    return STATUSES[(post + socket) % len(STATUSES)]


def _next_status(shed: int, post: int, socket: int) -> SocketStatus:
    """A status other than the seeded one (each socket changes at most once per run): a real change."""
    return STATUSES[(post + socket + 1 + shed % (len(STATUSES) - 1)) % len(STATUSES)]


def _seed(store: StateStore, now_ms: int) -> None:
    """Register the sheds and give every socket a status (a birth per shed): 500 sockets of live state."""
    batch = Batch()
    for shed in SHEDS:
        store.import_inventory(
            ShedConfig(shed=shed, community="bench", posts=[PostSpec(id=p, sockets=SOCKETS) for p in POSTS]),
            actor="bench",
            now_ms=now_ms,
        )
        snap = [
            SocketSnapshot(device=p, socket=n, status=_seeded_status(i, n))
            for i, p in enumerate(POSTS)
            for n in range(1, SOCKETS + 1)
        ]
        batch.states.append((EdgeState(src=shed, seq=0, ts=now_ms, state="birth", session=1, sockets=snap), now_ms))
    store.write(batch)


def _start_cloud(data: Path, port: int, poll_s: float, key: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHEDWATCH_CLOUD_LIVE_POLL_S": str(poll_s), "SHEDWATCH_CLOUD_SECRET_KEY": key}
    env.pop("SHEDWATCH_CLOUD_ENVIRONMENT", None)  # production, as deployed (the tests set development)
    args = [sys.executable, "-m", "shedwatch", "cloud", "--no-ingest", "--port", str(port), "--data-dir", str(data)]
    with log.open("ab") as fh:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the cloud exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the cloud did not get ready: {log.read_text()[-2000:]}")


WRK_REPORT = REPO / "bench" / "wrk_report.lua"


def _wrk(base: str, paths: list[str], conns: int, seconds: float, headers: tuple[str, ...] = ()) -> dict[str, Any]:
    """Closed-loop load by wrk on ``paths`` (round robin), after a one-second warm-up; its JSON report."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (scripts/setup.sh --test installs it)")

    def wrk(duration_s: int) -> str:
        args = ["wrk", "-t1", f"-c{conns}", f"-d{duration_s}s", "--latency", "-s", str(WRK_REPORT)]
        for h in headers:
            args += ["-H", h]
        return subprocess.run([*args, base, "--", *paths], capture_output=True, text=True, check=True).stdout

    wrk(1)  # connections, caches: not measured
    return dict(orjson.loads(wrk(max(1, round(seconds))).strip().splitlines()[-1]))


def _ceiling(body_bytes: int, conns: int, seconds: float) -> dict[str, Any]:
    """The loader's own figures against a trivial server answering ``body_bytes`` bodies."""
    port = free_port()
    args = [sys.executable, "-m", "bench.canned_server", str(port), str(body_bytes)]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # "ready"
        return _wrk(f"http://127.0.0.1:{port}", ["/api/v1/availability"], conns, seconds)
    finally:
        proc.terminate()
        proc.wait(10)


def _figures(name: str, report: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{name}_rps": report["rps"],
        f"{name}_p50_ms": round(report["p50_ms"], 2),
        f"{name}_p99_ms": round(report["p99_ms"], 2),
        f"{name}_max_ms": round(report["max_ms"], 2),
        f"{name}_errors": report["socket_errors"] + report["status_errors"],
    }


def _stream(base: str, store: StateStore, clients: int, changes: int) -> dict[str, Any]:
    """Connect the clients (in the load process), store the changes here, collect what arrived when."""
    wait_s = 30.0 + changes * 0.1
    args = ["sse", f"{base}/api/v1/stream", "--clients", str(clients), "--expect", str(changes)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen", *args, "--timeout", str(wait_s)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    connected = orjson.loads(proc.stdout.readline())["connected"]
    time.sleep(1.0)  # let the server settle after the connection burst
    stored: dict[int, float] = {}
    base_ts = int(time.time() * 1000)
    for k in range(changes):
        shed = SHEDS[k % len(SHEDS)]
        device, socket = POSTS[(k // len(SHEDS)) % len(POSTS)], 1 + k % SOCKETS
        ts = base_ts + k + 1  # distinct and rising: the shed's availability carries it as updated_ts
        status = _next_status(SHEDS.index(shed), POSTS.index(device), socket)
        batch = Batch()
        event = SocketStatusChanged(src=shed, seq=k + 1, ts=ts, device=device, socket=socket, status=status)
        batch.events.append((event, ts))
        store.write(batch)
        stored[ts] = time.time()
        time.sleep(0.1)
    result = orjson.loads(proc.stdout.readline())
    proc.wait(30)
    lat = [
        (at - stored[int(ts)]) * 1000 for ts, times in result["received"].items() if int(ts) in stored for at in times
    ]
    return {
        "stream_clients": connected,
        "stream_changes": changes,
        "stream_p50_ms": round(percentile(lat, 50), 1) if lat else None,
        "stream_p99_ms": round(percentile(lat, 99), 1) if lat else None,
        "stream_max_ms": round(max(lat), 1) if lat else None,
        "stream_missing": result["missing"],
        "stream_disconnected": result["disconnected"],
    }


def run(*, conns: int, seconds: float, clients: int, changes: int, poll_s: float) -> dict[str, Any]:
    """Seed, serve, load; the figures."""
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data = Path(tmp)
        store = StateStore(f"sqlite:///{data / 'state.db'}")
        store.migrate()
        _seed(store, int(time.time() * 1000))
        port = free_port()
        key = secrets.token_urlsafe(48)  # production refuses to start without a real secret
        proc = _start_cloud(data, port, poll_s, key, data / "cloud.log")
        operator = Principal("bench-operator", Role.OPERATOR, frozenset({"bench"}))
        token = CloudSettings(secret_key=key).token_codec().issue(operator, now_s=time.time())
        base = f"http://127.0.0.1:{port}"
        try:
            body_bytes = len(httpx.get(f"{base}/api/v1/availability", timeout=10).content)
            avail = _wrk(base, ["/api/v1/availability"], conns, seconds)
            paths = [f"/api/v1/sheds/{s}" for s in SHEDS]
            live = _wrk(base, paths, conns, seconds, (f"Authorization: Bearer {token}",))
            stream = _stream(base, store, clients, changes)
        finally:
            proc.terminate()
            proc.wait(30)
            store.close()
    ceiling = _ceiling(body_bytes, conns, seconds)
    return {
        "bench": "api",
        "sockets": len(SHEDS) * len(POSTS) * SOCKETS,
        "conns": conns,
        "seconds": seconds,
        "loader": "wrk, 1 thread, HTTP/1.1 keep-alive, 1 request in flight per connection",
        "loader_ceiling_rps": ceiling["rps"],
        "loader_ceiling_p99_ms": round(ceiling["p99_ms"], 2),  # the loader's and the machine's own stalls
        "availability_body_bytes": body_bytes,
        **_figures("availability", avail),
        **_figures("live", live),
        **stream,
        "feed_poll_s": poll_s,
        "load_avg_1m_at_start": round(load_at_start, 2),
    }


def main() -> None:
    """Run the benchmark and print its JSON."""
    p = parser(__doc__ or "")
    p.add_argument("--conns", type=int, default=32, help="concurrent HTTP connections")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per HTTP route")
    p.add_argument("--clients", type=int, default=1000, help="stream clients")
    p.add_argument("--changes", type=int, default=50, help="socket status changes timed through the stream")
    p.add_argument("--poll", type=float, default=0.05, help="the API's feed poll interval, s")
    args = p.parse_args()
    if args.quick:
        emit(run(conns=8, seconds=1.0, clients=50, changes=5, poll_s=args.poll))
    else:
        emit(run(conns=args.conns, seconds=args.seconds, clients=args.clients, changes=args.changes, poll_s=args.poll))


if __name__ == "__main__":
    main()
