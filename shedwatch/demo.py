"""``shedwatch demo``: a broker, the cloud, one edge agent per shed and simulated devices, all local.

Nothing else needs to run. The broker is the one given by --broker, else a local
mosquitto when one is installed, else the embedded amqtt broker (MQTT 3.1.1).
Each run starts from a fresh data dir (data/demo/run-<UTC time>); --data-dir DIR keeps
one across runs. shed-a is open (plug and charge; the evening and the drill play
there), shed-b authorised (bikes wait plugged in for a session by QR id).
Everything runs on one clock, --speed times real time; alert links and the staff's
promise are sized in real minutes. An admin starts the thermal-runaway drill with the
control room's button, or --drill starts it by itself.
Ctrl-C stops the parts in a safe order (devices, edges, cloud, broker) and exits 0; so
do SIGTERM, SIGHUP (the terminal closed) and the other signals that would end it. Each part
also gets SIGTERM from the kernel if the demo is killed outright (SIGKILL).
Exit codes: 0 stopped in order; 1 a part failed (its log is printed); 2 bad arguments (e.g. a
--port outside 0-65535); 3 the --port is in use (nothing is started).
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from protocol.clock import ScaledClock
from protocol.config import ShedConfig
from shedwatch.demo_alerts import (
    ACK_REAL_S,
    LINK_TTL_REAL_S,
    MAX_LINK_TTL_S,
    ONSITE_REAL_S,
    alarm_toml,
    demo_accounts,
    drill_scenario,
    watch_alerts,
)
from shedwatch.demo_charging import parked_scenario, prepare_charging, try_qr
from shedwatch.demo_clock import ClockFileError, SavedClock, load_clock, save_clock, start_epoch_ms
from shedwatch.demo_config import demo_sheds, shed_toml
from shedwatch.mosquitto import Mosquitto, find_mosquitto
from shedwatch.port_arg import port_number
from shedwatch.ports import free_port, port_taken, wait_listening
from shedwatch.processes import Child
from shedwatch.webhook_receiver import HttpReceiver

DEMO_ROOT = Path("data/demo")
BUTTON_DRILL_AT_S = 5.0  # simulated seconds from the button's press (or the start, with --drill) to the runaway
EXIT_OK, EXIT_FAILED, EXIT_PORT_IN_USE = 0, 1, 3  # 2: bad arguments (argparse)
BEIJING = timezone(timedelta(hours=8))  # China has no daylight saving time
# Signals that would end the demo at once and leave its parts (each in a session of its own) running: each stops
# it in order instead. SIGKILL cannot be caught: for it the parts have shedwatch.parent_guard.
STOP_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGXCPU", "SIGXFSZ")
    if hasattr(signal, name)
)


class PortInUse(Exception):
    """The --port is taken before anything started."""


class StopRequested(BaseException):
    """A stop signal came while the demo was still starting (a BaseException, so no handler swallows it)."""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="run a broker, the cloud, edge agents and simulated sheds on this machine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--broker", help="use this broker (mqtt://host:port) instead of starting one")
    parser.add_argument(
        "--embedded", action="store_true", help="use the embedded amqtt broker even if mosquitto exists"
    )
    parser.add_argument("--sheds", type=int, default=2, help="number of sheds (default 2)")
    parser.add_argument("--posts", type=int, default=3, help="charging posts per shed (default 3)")
    parser.add_argument("--sockets", type=int, default=10, help="sockets per post (default 10)")
    parser.add_argument("--speed", type=float, default=30.0, help="simulated time runs this many times real time (30)")
    parser.add_argument(
        "--port",
        type=port_number,
        default=8000,
        help="HTTP port of the web page and API, 0-65535 (default 8000; 0: any free port)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where SQLite files and logs go, kept across runs (default: a fresh data/demo/run-<UTC time> per run)",
    )
    parser.add_argument("--duration", type=float, default=0, help="stop by itself after this many seconds (0: never)")
    parser.add_argument(
        "--drill",
        type=float,
        default=None,
        metavar="SIM_SECONDS",
        help="start the thermal-runaway drill by itself: a lithium pack on shed-a's first post, socket 3, runs away "
        "this many simulated seconds after the start (off-gas, heat, smoke, the edge's cut, the incident and its "
        "alerts). Without it an admin starts the drill with the control room's button",
    )
    parser.set_defaults(func=run)
    return parser


def fresh_data_dir(root: Path, now: datetime) -> Path:
    """A run's own data dir under ``root`` (``run-YYYYmmddTHHMMSSZ``, ``-2`` ... when one of that second exists)."""
    base = root / f"run-{now:%Y%m%dT%H%M%SZ}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def real_minutes(sim_s: float, speed: float) -> float:
    """Minutes of the viewer's time that ``sim_s`` simulated seconds take."""
    return sim_s / speed / 60


def _evening_epoch_ms() -> int:
    # Start the simulated clock at 17:00 Beijing time (09:00 UTC) today: the evening peak of arrivals.
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    if start > datetime.now(UTC):
        start -= timedelta(days=1)
    return int(start.timestamp() * 1000)


def drill_socket(shed: ShedConfig) -> tuple[str, int]:
    """Where the drill's pack charges: the shed's first post, socket 3 (or its last, on smaller posts)."""
    post = shed.posts[0]
    return post.id, min(3, post.sockets)


def ingest_ready(health: Any) -> bool:
    """True when a /healthz answer says the in-process ingest worker has subscribed."""
    return isinstance(health, dict) and bool((health.get("ingest") or {}).get("subscribed"))


class Demo:
    """The running parts of the demo and the order to stop them in."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.kept = args.data_dir is not None
        self.data = (args.data_dir or fresh_data_dir(DEMO_ROOT, datetime.now(UTC))).resolve()
        self.drill_requests = self.data / "drill-requests.jsonl"
        self.try_qr = ""
        self.logs = self.data / "logs"
        self.broker: Mosquitto | None = None
        self.receiver: HttpReceiver | None = None
        self.accounts: list[tuple[str, str, str | None]] = []
        self.children: list[Child] = []
        self.clock: ScaledClock | None = None

    def start_broker(self) -> str:
        """The URL of the broker everyone uses, starting one when none was given."""
        if self.args.broker:
            return str(self.args.broker)
        if find_mosquitto() and not self.args.embedded:
            self.broker = Mosquitto(workdir=self.data / "broker", persistence=True, guard_parent=True).start()
            print(f"broker: mosquitto on {self.broker.url}")
            return self.broker.url
        port = free_port()
        argv = [sys.executable, "-m", "shedwatch.embedded_broker", "--port", str(port)]
        child = Child("broker", argv, log_dir=self.logs, guard_parent=True)
        self.children.append(child)
        wait_listening("127.0.0.1", port, 20)
        print(f"broker: embedded amqtt (MQTT 3.1.1) on mqtt://127.0.0.1:{port}")
        return f"mqtt://127.0.0.1:{port}?protocol=311"

    def start_clock(self) -> ScaledClock:
        """This run's simulated clock: 17:00 in a fresh data dir; in a kept one, on from where the last run was."""
        try:
            saved = load_clock(self.data)
        except ClockFileError as exc:
            raise RuntimeError(f"{exc}; delete it to start the simulated time at 17:00 again") from None
        real_now = time.time_ns() // 1_000_000
        epoch = start_epoch_ms(saved, real_now_ms=real_now, fresh_ms=_evening_epoch_ms())
        clock = ScaledClock(speed=self.args.speed, epoch_ms=epoch, anchor_real_ms=real_now)
        save_clock(self.data, SavedClock(clock.speed, clock.epoch_ms, clock.anchor_real_ms))
        self.clock = clock
        return clock

    def start(self) -> str:
        """Start everything; the URL of the web page."""
        # Before anything starts: a cloud that cannot bind would leave the rest running, and the port's owner
        # (an old demo, another server) would answer our health checks and logins with misleading errors.
        if self.args.port and port_taken("127.0.0.1", self.args.port):
            raise PortInUse(f"port {self.args.port} is in use")
        # The demo is a development run: the cloud makes itself a random token key instead of refusing to
        # start without one (docs/accounts.md, "Settings"). An exported environment/secret still wins.
        os.environ.setdefault("SHEDWATCH_CLOUD_ENVIRONMENT", "development")
        clock = self.start_clock()
        broker = self.start_broker()
        common = ["--clock", clock.spec()]
        sheds = demo_sheds(self.args.sheds, self.args.posts, self.args.sockets)
        paths = []
        for shed in sheds:
            path = self.data / f"{shed.shed}.toml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                shed_toml(shed, shed_broker=broker, cloud_broker=broker, data_dir=self.data / "edge" / shed.shed)
            )
            paths.append(path)
        # The cloud owns the inventory: each shed's [shed] table is imported into its state store (the
        # edge's [agent] table, broker credentials included, is never read by the cloud).
        for path in paths:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "shedwatch",
                    "cloud",
                    "inventory",
                    "import",
                    str(path),
                    "--actor",
                    "demo",
                    "--data-dir",
                    str(self.data / "cloud"),
                    *common,
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=60,
            )
        self.accounts = demo_accounts(self.data / "cloud", sheds[0].community, clock.spec())
        # Alerts go to a webhook receiver the demo runs and prints (no chat app needed to see them).
        self.receiver = HttpReceiver().up()
        # --port 0: a free port picked as late as can be (after the accounts' seconds of password hashing, after
        # the receiver's own bind), so that little else can take it before the cloud binds it.
        port = self.args.port or free_port()
        url = f"http://127.0.0.1:{port}/"
        alarms = self.data / "alarms.toml"
        alarms.write_text(alarm_toml(url, f"127.0.0.1:{self.receiver.port}", sheds[0].community, self.args.speed))
        # A request from an earlier run in a kept data dir must not start this run's drill.
        self.drill_requests.unlink(missing_ok=True)
        cloud = Child.shedwatch(
            "cloud",
            [
                "cloud",
                "--alarm-config",
                str(alarms),
                "--broker",
                broker,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(self.data / "cloud"),
                "--demo-drill-file",
                str(self.drill_requests),
                *common,
            ],
            log_dir=self.logs,
            guard_parent=True,
        )
        self.children.append(cloud)
        # The cloud's ingest session must exist before the first edge speaks: from then on the
        # broker queues for it, but a message sent before its first subscription has nobody to go to.
        self.wait_healthy(url, cloud)
        self.prepare_charging(url, sheds)
        if self.args.drill is not None:
            # --drill is the button pressed at the start: the same request, by the demo itself.
            self.drill_requests.write_text('{"by": "--drill"}\n')
        for i, (shed, path) in enumerate(zip(sheds, paths, strict=True)):
            self.children.append(
                Child.shedwatch(
                    f"edge-{shed.shed}", ["edge", "--config", str(path), *common], log_dir=self.logs, guard_parent=True
                )
            )
            truth = ["--truth", str(self.data / f"truth-{shed.shed}.jsonl")]
            scenario = self.data / f"scenario-{shed.shed}.toml"
            if i == 0:
                # The open shed: the evening's residents, plus the drill's pack charging from the start; its
                # runaway is held back until a drill request (the control room's button, or --drill).
                at_s = self.args.drill if self.args.drill is not None else BUTTON_DRILL_AT_S
                scenario.write_text(drill_scenario(path, at_s, *drill_socket(shed)))
                held = ["--faults-on-request", str(self.drill_requests)]
                sim = ["sim", "run", str(scenario), "--broker", broker, "--residents", *held, *truth, *common]
            else:
                # An authorised shed: bikes parked and plugged in, waiting for a resident's session.
                scenario.write_text(parked_scenario(path, shed))
                sim = ["sim", "run", str(scenario), "--broker", broker, "--no-residents", *truth, *common]
            self.children.append(Child.shedwatch(f"sim-{shed.shed}", sim, log_dir=self.logs, guard_parent=True))
        return url

    def prepare_charging(self, url: str, sheds: list[ShedConfig]) -> None:
        """A tariff and the resident's credit, so a session can start on the authorised shed (when there is one).

        Needs the admin's and operator's passwords: in a kept data dir they are from the first run, which did it."""
        if len(sheds) < 2:
            return
        self.try_qr = try_qr(sheds[1])
        known = {role: password for role, _, password in self.accounts if password is not None}
        if "admin" in known and "operator" in known:
            prepare_charging(url, sheds[0].community, ("admin", known["admin"]), ("operator", known["operator"]))

    def wait_healthy(self, url: str, cloud: Child, timeout: float = 60.0) -> None:
        """Wait until the cloud answers and its ingest has subscribed, or fail with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                if ingest_ready(httpx.get(url + "healthz", timeout=1).json()):
                    return
            except (httpx.HTTPError, ValueError):  # not up yet, or not JSON (not our cloud answering)
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the cloud did not answer on {url}:\n{cloud.log_tail()}")

    def check_children(self) -> None:
        """Raise when a part died on its own."""
        for child in self.children:
            if child.exit_code is not None:
                raise RuntimeError(
                    f"{child.name} exited with {child.exit_code}; its log ({child.log_path}):\n{child.log_tail()}"
                )

    @property
    def started_anything(self) -> bool:
        """True once some part (broker, receiver, child) may be running."""
        return bool(self.children) or self.broker is not None or self.receiver is not None

    def stop(self) -> None:
        """Devices first (so nothing is cut for lack of supervision mid-stop), then edges, cloud, broker."""
        order = sorted(self.children, key=lambda c: ("sim" not in c.name, "edge" not in c.name, c.name == "broker"))
        for child in order:
            child.stop()
        if self.broker:
            self.broker.stop()
        if self.receiver is not None:
            self.receiver.down()
        # Every part has stopped, so nothing stored is later than now: the next run in this data dir goes on from
        # here (shedwatch.demo_clock).
        if self.clock is not None:
            done = SavedClock(self.clock.speed, self.clock.epoch_ms, self.clock.anchor_real_ms, self.clock.now_ms())
            save_clock(self.data, done)


def availability_line(sheds: list[dict[str, Any]]) -> str:
    """The console's ``availability:`` line: every count the API gives, so they add up to the total."""
    parts = [
        f"{s['shed']}: {s['free']} free, {s['charging']} charging, {s['plugged']} plugged, {s['full']} full, "
        f"{s['faulted']} faulted, {s['stopped']} stopped (of {s['total']})"
        for s in sheds
    ]
    return "availability: " + ("; ".join(parts) or "(waiting for edges)")


def _summary(url: str) -> str:
    try:
        return availability_line(httpx.get(url + "api/v1/availability", timeout=2).json()["sheds"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return "availability: (not yet)"


def _time_text(speed: float, start_ms: int) -> str:
    """What runs how fast and from when, said plainly for the viewer."""
    start = f"{datetime.fromtimestamp(start_ms / 1000, BEIJING):%Y-%m-%d %H:%M} Beijing time"
    if speed == 1:
        return f"time: everything runs in real time (--speed 1), from {start}"
    return (
        f"time: the whole demo (devices, edges and the cloud) runs on one simulated clock, {speed:g}x real time, "
        f"from {start}: one real minute is {speed:g} simulated minutes, and the pages' clocks and "
        f"countdowns show simulated time. What people must do is sized in real time: alert links stay valid "
        f"{real_minutes(min(LINK_TTL_REAL_S * speed, MAX_LINK_TTL_S), speed):.0f} real minutes, a guard has "
        f"{real_minutes(ACK_REAL_S * speed, speed):.0f} real minutes to accept and "
        f"{real_minutes(ONSITE_REAL_S * speed, speed):.0f} to be on site (logins last real time)"
    )


def _say(line: str, *, err: bool = False) -> None:
    """Print for the viewer; after SIGHUP the terminal may be gone, and that must not stop the demo stopping."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr if err else sys.stdout, flush=True)


class StopSignals:
    """STOP_SIGNALS caught: each sets ``stop``. While the demo is still starting the first also interrupts the
    start (StopRequested), so that a closed terminal does not wait for the cloud to come up before stopping it;
    once it runs (``running``), and during the stop itself, a signal only sets ``stop``."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.running = False
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        starting = not self.running and not self.stop.is_set()
        self.stop.set()
        if starting:
            raise StopRequested(signum)


def run(args: argparse.Namespace) -> int:
    """Run the demo until a stop signal (Ctrl-C, SIGTERM, SIGHUP, ...) or --duration; the exit code."""
    signals = StopSignals()
    demo = Demo(args)
    try:
        return _run(args, demo, signals)
    except PortInUse as exc:
        _say(f"demo: {exc}", err=True)
        return EXIT_PORT_IN_USE
    except StopRequested:
        return EXIT_OK
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        _say(f"demo failed: {exc}", err=True)
        return EXIT_FAILED
    finally:
        # Whatever ended the run (a signal, a failed part, an error of the demo's own), no part outlives it.
        signals.stop.set()
        if demo.started_anything:
            _say("stopping ...")
            demo.stop()
            _say("stopped.")


def _run(args: argparse.Namespace, demo: Demo, signals: StopSignals) -> int:
    """Start, print what the viewer needs, and watch the parts until asked to stop."""
    stop = signals.stop
    url = demo.start()
    signals.running = True
    kept = (
        "kept: accounts, history, open incidents and latched trips of earlier runs stay; the simulated time goes "
        "on from the last run"
        if demo.kept
        else "fresh for this run; --data-dir DIR keeps one across runs"
    )
    print(f"data: {demo.data} ({kept})")
    print(f"ShedWatch demo is running: open {url}  (API: {url}api/v1/availability; logs: {demo.logs})")
    print(f"pages: control room {url}control  security phone {url}phone  residents {url}resident")
    for role, username, password in demo.accounts:
        shown = password if password is not None else "(from an earlier run in this data dir)"
        print(f"account: {role:9} user {username:9} password {shown}")
    assert demo.clock is not None  # started
    print(_time_text(args.speed, demo.clock.epoch_ms))
    if demo.try_qr:
        print(
            f"resident: shed-b is authorised (a socket charges only for a session; shed-a is open: plug and "
            f"charge); a bike waits plugged in at QR id {demo.try_qr}: log in as resident on {url}resident "
            "and type it"
        )
    device, socket = drill_socket(demo_sheds(1, args.posts, args.sockets)[0])
    if args.drill is not None:
        print(f"drill: thermal runaway at shed-a {device} socket {socket} after {args.drill:g} simulated s")
    else:
        print(
            f"drill: log in to {url}control as admin and press the drill button: thermal runaway at shed-a "
            f"{device} socket {socket} {BUTTON_DRILL_AT_S:g} simulated s later"
        )
    if demo.receiver is not None:
        print(f"alerts: to the local receiver on 127.0.0.1:{demo.receiver.port}, printed here as ALERT lines")
        watch_alerts(demo.receiver, stop, lambda line: _say(line))
    print("Ctrl-C stops it.", flush=True)
    deadline = time.monotonic() + args.duration if args.duration else None
    while not stop.wait(10 if deadline is None else min(10, max(0.1, deadline - time.monotonic()))):
        demo.check_children()
        _say(_summary(url))
        if deadline is not None and time.monotonic() >= deadline:
            break
    return EXIT_OK
