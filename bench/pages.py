"""How fast the pages load and follow the shed, in a real headless Chromium against a real cloud on loopback.

python -m bench.pages [--quick] [--loads N] [--updates N]

Starts mosquitto and `shedwatch cloud` (ingest on, one shed of 3 posts x 10 sockets announced by a birth
certificate), then in Debian's chromium (Playwright; `scripts/setup.sh --test` installs both):
* each page (/, /control, /phone, /resident) is loaded N times, each time in a fresh browser context (no cache):
  ``load_ms`` is the navigation's loadEventEnd (HTML, styles, scripts and vendored libraries), ``ready_ms`` the
  time until the page has its first data on screen (window.shedwatch.readyMs; public pages only: the staff pages
  wait for a login once accounts exist);
* ``update_ms``: a socket status published as the edge would, until the residents' page shows the new free count
  (MQTT -> ingest -> live state -> stream or poll -> the page's refresh and render);
* ``alarm_ms``: a thermal runaway published as the edge reports it (cut, faulted, fire alarm), until the
  control-room screen (an operator's session) sounds its siren; the screen is silenced before each next one, on
  another socket. Null, with ``alarm_note``, when the cloud does not serve open alarms to the page.
Keys: load_ms_p50/p99 per page, ready_ms_p50/p99 per public page, update_ms_p50/p99/max, alarm_ms_p50/max,
live_mode. The issue's targets: a page loads in under 1 s on the LAN, shows an event within 1 s, and a thermal
runaway with its siren within 2 s.
"""

import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench.common import emit, parser, percentile
from protocol.codec import encode
from protocol.config import PostSpec, ShedConfig
from protocol.topics import Kind, shed_topic
from protocol.uplink import (
    AlarmClass,
    AlarmRaised,
    EdgeState,
    InterlockAction,
    SocketSnapshot,
    SocketStatus,
    SocketStatusChanged,
)
from shedwatch.demo import ingest_ready
from shedwatch.demo_config import shed_toml
from shedwatch.mosquitto import Mosquitto
from shedwatch.ports import free_port
from shedwatch.processes import Child

REPO = Path(__file__).resolve().parents[1]
PAGES = ("/", "/control", "/phone", "/resident")
PUBLIC = ("/", "/resident")
SOCKETS = [(f"post-{p}", n) for p in (1, 2, 3) for n in range(1, 11)]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARGS += ["--autoplay-policy=no-user-gesture-required"]  # the siren may sound without a click


def thermal_runaway_report(
    shed: str, first_seq: int, device: str, socket: int, now_ms: int
) -> list[InterlockAction | SocketStatusChanged | AlarmRaised]:
    """The three events an edge sends when a socket runs away thermally, numbered from ``first_seq``: it cuts the
    socket (a latched interlock), the socket turns faulted, and a fire alarm rises (docs/edge.md)."""
    cut = InterlockAction(
        src=shed,
        seq=first_seq,
        ts=now_ms,
        action="cut",
        scope="socket",
        device=device,
        socket=socket,
        reason="thermal_runaway",
        latched=True,
    )
    fault = SocketStatusChanged(
        src=shed, seq=first_seq + 1, ts=now_ms, device=device, socket=socket, status=SocketStatus.FAULTED
    )
    fire = AlarmRaised(
        src=shed,
        seq=first_seq + 2,
        ts=now_ms,
        alarm_id=f"{shed}/{device}/{socket}/thermal_runaway",
        alarm_class=AlarmClass.FIRE,
        alarm_type="thermal_runaway",
        device=device,
        socket=socket,
        # as the edge words and measures it (edge.socket_rules): the rise in degC/s against runaway_rate_c_per_s
        message=f"{device} socket {socket} temperature rising 1.6 °C/s (limit 1 °C/s for 3 s)",
        value=1.6,
        threshold=1.0,
    )
    return [cut, fault, fire]


class Edge:
    """Publishes shed-a's messages like its edge would (QoS 1, every PUBACK awaited)."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-pages", protocol=MQTTProtocolVersion.MQTTv5
        )
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.seq = 0

    def send(self, kind: Kind, message: Any) -> None:
        self.client.publish(shed_topic(kind, "shed-a"), encode(message), qos=1).wait_for_publish(10)

    def birth(self) -> None:
        snap = [SocketSnapshot(device=d, socket=n, status=SocketStatus.FREE) for d, n in SOCKETS]
        now = time.time_ns() // 1_000_000
        self.send(Kind.EDGE_STATE, EdgeState(src="shed-a", seq=0, ts=now, state="birth", session=1, sockets=snap))

    def status(self, device: str, socket: int, status: SocketStatus) -> None:
        self.seq += 1
        now = time.time_ns() // 1_000_000
        event = SocketStatusChanged(src="shed-a", seq=self.seq, ts=now, device=device, socket=socket, status=status)
        self.send(Kind.EDGE_EVENT, event)

    def thermal_runaway(self, device: str, socket: int) -> None:
        """What the edge reports: the socket cut, faulted, and a fire alarm."""
        first = self.seq + 1
        self.seq += 3
        for event in thermal_runaway_report("shed-a", first, device, socket, time.time_ns() // 1_000_000):
            self.send(Kind.EDGE_EVENT, event)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _start_cloud(tmp: Path, broker: Mosquitto) -> tuple[Child, str]:
    shed = ShedConfig(shed="shed-a", community="bench", posts=[PostSpec(id=f"post-{p}", sockets=10) for p in (1, 2, 3)])
    (tmp / "shed.toml").write_text(shed_toml(shed, shed_broker=broker.url, cloud_broker=broker.url, data_dir=tmp))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["cloud", "--broker", broker.url, "--port", str(port), "--data-dir", str(tmp / "cloud")]
    cloud = Child.shedwatch("cloud", [*args, "--shed-config", str(tmp / "shed.toml")], log_dir=tmp / "logs", cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if ingest_ready(httpx.get(f"{base}/healthz", timeout=1).json()):
                return cloud, base
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"cloud did not start:\n{cloud.log_tail()}")


def _operator_cookie(base: str, data_dir: Path) -> dict[str, str]:
    """An operator account (`shedwatch cloud user add`) logged in: its session cookie for the browser."""
    password = secrets.token_urlsafe(12)
    args = [sys.executable, "-m", "shedwatch", "cloud", "user", "--data-dir", str(data_dir), "add"]
    args += ["--username", "bench-operator", "--role", "operator", "--community", "bench", "--create-community"]
    env = {**os.environ, "BENCH_PASSWORD": password}
    subprocess.run([*args, "--password-env", "BENCH_PASSWORD"], env=env, check=True, capture_output=True, timeout=120)
    login = httpx.post(f"{base}/api/v1/auth/login", json={"username": "bench-operator", "password": password})
    login.raise_for_status()
    return {"name": "shedwatch_session", "value": login.cookies["shedwatch_session"], "url": base}


def _alarms(browser: Any, base: str, data_dir: Path, edge: Edge, count: int) -> dict[str, Any]:
    """Thermal runaways on post-3 until the control screen's siren sounds; silenced before each next one."""
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    ctx.add_cookies([_operator_cookie(base, data_dir)])
    page = ctx.new_page()
    page.goto(base + "/control?lang=en")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready", timeout=15_000)
    lat = []
    try:
        for n in range(1, count + 1):
            t0 = time.monotonic()
            edge.thermal_runaway("post-3", n)
            page.wait_for_function("() => window.shedwatch.siren.sounding", polling=5, timeout=15_000)
            lat.append((time.monotonic() - t0) * 1000)
            page.click("#silence")
            page.wait_for_function("() => !window.shedwatch.siren.sounding", timeout=15_000)
    except PlaywrightTimeout:
        return {
            "alarm_ms_p50": None,
            "alarm_ms_max": None,
            "alarm_note": "no siren within 15 s: open alarms not served to the page (GET /api/v1/alarms)"
            if not lat
            else "a later alarm did not sound",
        }
    finally:
        ctx.close()
    return {"alarm_ms_p50": round(percentile(lat, 50), 1), "alarm_ms_max": round(max(lat), 1)}


def run(loads: int, updates: int) -> dict[str, Any]:
    """Measure; returns the result object."""
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        raise SystemExit("chromium is not installed: run scripts/setup.sh --test")
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as d:
        tmp = Path(d)
        broker = Mosquitto(workdir=tmp / "mosquitto").start()
        cloud, base = _start_cloud(tmp, broker)
        edge = Edge(broker.port)
        result: dict[str, Any] = {"loads": loads, "updates": updates}
        try:
            edge.birth()
            deadline = time.monotonic() + 30
            while not httpx.get(f"{base}/api/v1/availability", timeout=2).json()["sheds"]:
                if time.monotonic() > deadline:
                    raise SystemExit("the shed never showed in availability")
                time.sleep(0.1)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=exe, headless=True, args=ARGS)
                for path in PAGES:
                    load, ready = [], []
                    for _ in range(loads):
                        ctx = browser.new_context(viewport={"width": 1440, "height": 900})
                        page = ctx.new_page()
                        page.goto(base + path + "?lang=en", wait_until="load")
                        load.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
                        if path in PUBLIC:
                            page.wait_for_function("() => window.shedwatch && window.shedwatch.ready", timeout=15_000)
                            ready.append(page.evaluate("window.shedwatch.readyMs"))
                        ctx.close()
                    name = path.strip("/") or "index"
                    result[f"load_ms_p50_{name}"] = round(percentile(load, 50), 1)
                    result[f"load_ms_p99_{name}"] = round(percentile(load, 99), 1)
                    if ready:
                        result[f"ready_ms_p50_{name}"] = round(percentile(ready, 50), 1)
                        result[f"ready_ms_p99_{name}"] = round(percentile(ready, 99), 1)

                ctx = browser.new_context(viewport={"width": 390, "height": 844})
                page = ctx.new_page()
                page.goto(base + "/resident?lang=en")
                page.wait_for_function("() => window.shedwatch && window.shedwatch.ready", timeout=15_000)
                time.sleep(1.0)  # let the live feed settle (stream opened, or polling)
                result["live_mode"] = page.evaluate("window.shedwatch.live && window.shedwatch.live.mode")
                lat = []
                rng = random.Random(7)
                for i in range(updates):
                    device, socket = SOCKETS[i % len(SOCKETS)]
                    charging = (i // len(SOCKETS)) % 2 == 0
                    free_after = len(SOCKETS) - (i % len(SOCKETS)) - 1 if charging else i % len(SOCKETS) + 1
                    # A random pause first: without it each change would follow the page's last refresh at once
                    # (the loop waits for that refresh), and a polling page would always show it a full period late.
                    time.sleep(rng.uniform(0, 1.0))
                    t0 = time.monotonic()
                    edge.status(device, socket, SocketStatus.CHARGING if charging else SocketStatus.FREE)
                    page.wait_for_function(
                        "n => { const e = document.querySelector(\"[data-shed='shed-a'] [data-k='free']\");"
                        " return e && e.textContent.startsWith(n + ' '); }",
                        arg=free_after,
                        polling=5,
                        timeout=15_000,
                    )
                    lat.append((time.monotonic() - t0) * 1000)
                result["update_ms_p50"] = round(percentile(lat, 50), 1)
                result["update_ms_p99"] = round(percentile(lat, 99), 1)
                result["update_ms_max"] = round(max(lat), 1)
                ctx.close()
                result.update(_alarms(browser, base, tmp / "cloud", edge, max(1, updates // 10)))
                browser.close()
        finally:
            edge.close()
            cloud.stop()
            broker.kill()
    return result


def main() -> None:
    """Command-line entry."""
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--loads", type=int, default=None, help="loads per page (default 20; 3 with --quick)")
    p.add_argument("--updates", type=int, default=None, help="status changes timed (default 40; 5 with --quick)")
    a = p.parse_args()
    loads = a.loads or (3 if a.quick else 20)
    updates = a.updates or (5 if a.quick else 40)
    emit(run(loads, updates))


if __name__ == "__main__":
    main()
