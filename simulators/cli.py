"""The `shedwatch sim` subcommand: `sim shed`, `sim run` and `sim fleet`."""

import argparse
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_BROKER = "mqtt://127.0.0.1:1883"
REQUEST_POLL_S = 0.2  # real seconds between reads of a --faults-on-request file


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "sim",
        help="simulated charging posts, extinguishers, sensors and residents on a real broker",
        description="Digital twins of bike-shed devices speaking the ShedWatch wire contract.",
    )
    simsub = parser.add_subparsers(dest="sim_command", required=True, metavar="SIM_COMMAND")

    shed = simsub.add_parser("shed", help="simulate every device of one shed TOML ([shed] table)")
    shed.add_argument("--config", required=True, help="shed TOML file (the [agent] table is ignored)")
    shed.add_argument("--broker", default=DEFAULT_BROKER, help="shed broker URL (default %(default)s)")
    _common(shed)
    shed.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    shed.add_argument(
        "--residents", action=argparse.BooleanOptionalAction, default=True, help="residents come and go (default on)"
    )
    shed.add_argument("--resident-scale", type=float, default=1.0, help="multiply resident arrival rates")
    shed.add_argument("--duration", type=float, default=None, help="stop after this many simulated seconds")
    shed.set_defaults(func=_run_shed)

    run = simsub.add_parser(
        "run",
        help="run a scenario file (or a bundled scenario name)",
        epilog="bundled scenarios: " + ", ".join(_bundled()),
    )
    run.add_argument("scenario", help="scenario TOML path, or a bundled name such as thermal-runaway-drill")
    run.add_argument("--broker", default=DEFAULT_BROKER, help="shed broker URL (default %(default)s)")
    run.add_argument("--speed", type=float, default=None, help="x real time, 1..600 (default: the scenario's)")
    _common(run)
    run.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    run.add_argument("--duration", type=float, default=None, help="override the scenario's duration (sim s)")
    run.add_argument(
        "--residents", action=argparse.BooleanOptionalAction, default=None, help="override the scenario's residents"
    )
    run.add_argument(
        "--faults-on-request",
        metavar="FILE",
        default=None,
        help="hold the scenario's faults back; each JSON-object line appended to FILE starts them, at_s counted "
        "from when the line is read (the demo's drill button)",
    )
    run.set_defaults(func=_run_scenario)

    fleet = simsub.add_parser("fleet", help="load generator: many sheds x posts x sockets at a steady rate")
    fleet.add_argument("--sheds", type=int, default=10, help="sheds (default 10)")
    fleet.add_argument("--posts", type=int, default=10, help="posts per shed (default 10)")
    fleet.add_argument("--sockets", type=int, default=10, help="sockets per post (1..64)")
    fleet.add_argument("--interval", type=float, default=1.0, help="seconds between reports of each post")
    fleet.add_argument("--duration", type=float, default=10.0, help="seconds to run")
    fleet.add_argument("--broker", default=DEFAULT_BROKER, help="broker URL (default %(default)s)")
    fleet.add_argument("--connections", type=int, default=4, help="MQTT connections to spread the load over")
    fleet.add_argument("--qos", type=int, choices=(0, 1), default=1)
    fleet.add_argument("--clock", default=None, help="'real' or 'SPEED,EPOCH_MS,ANCHOR_MS' for message timestamps")
    fleet.set_defaults(func=_run_fleet)
    return parser


def _bundled() -> list[str]:
    folder = Path(__file__).parent / "scenarios"
    return sorted(f.stem for f in folder.glob("*.toml") if not f.stem.startswith("shed"))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--clock", default=None, help="'real' or 'SPEED,EPOCH_MS,ANCHOR_MS' shared with other processes")
    p.add_argument("--truth", default=None, help="write ground truth as JSON Lines to this file")


def _stop_on_signals(stop: Any) -> None:
    def handler(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _drive(
    sims: list[Any],
    broker: str,
    clock: Any,
    truth_path: str | None,
    stop_at_ms: int | None,
    on_tick: Callable[[int], None] | None = None,
) -> int:
    from protocol.brokerurl import BrokerUrl
    from protocol.errors import ProtocolError
    from simulators.mqtt import BrokerUnreachable
    from simulators.runner import SimRunner
    from simulators.truth import TruthWriter

    try:
        url = BrokerUrl.parse(broker)
    except ProtocolError as exc:
        print(f"shedwatch sim: {exc}", file=sys.stderr)
        return 2
    try:
        truth = TruthWriter(truth_path)
    except OSError as exc:
        print(f"shedwatch sim: cannot write the truth file: {exc}", file=sys.stderr)
        return 2
    runner = SimRunner(sims, broker=url, clock=clock, truth=truth, stop_at_ms=stop_at_ms, on_tick=on_tick)
    _stop_on_signals(runner.stop)
    try:
        runner.open()
    except BrokerUnreachable as exc:
        print(f"shedwatch sim: {exc}", file=sys.stderr)
        runner.truth.close()
        return 1
    spec = clock.spec() if hasattr(clock, "spec") else "real"
    devices = sum(len(s.posts) + len(s.extinguishers) + len(s.sensors) for s in sims)
    print(f"shedwatch sim: {len(sims)} shed(s), {devices} devices on {url}, clock {spec}", file=sys.stderr, flush=True)
    try:
        return runner.run()
    finally:
        runner.close()
        print(f"shedwatch sim: stopped after {runner.published} messages", file=sys.stderr, flush=True)


def _run_shed(args: argparse.Namespace) -> int:
    from protocol.clock import clock_from_spec
    from simulators.scenario import ScenarioError, load_shed_config
    from simulators.shed import ShedSim

    try:
        config = load_shed_config(args.config)
        clock = clock_from_spec(args.clock)
    except (ScenarioError, ValueError) as exc:
        print(f"shedwatch sim shed: {exc}", file=sys.stderr)
        return 2
    start = clock.now_ms()
    sim = ShedSim(config, start_ms=start, seed=args.seed, residents=args.residents, resident_scale=args.resident_scale)
    stop_at = start + int(args.duration * 1000) if args.duration else None
    return _drive([sim], args.broker, clock, args.truth, stop_at)


def _run_scenario(args: argparse.Namespace) -> int:
    from protocol.clock import ScaledClock, SystemClock, clock_from_spec
    from simulators.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.scenario)
        if args.seed is not None:
            scenario = scenario.model_copy(update={"seed": args.seed})
        speed = args.speed if args.speed is not None else scenario.speed
        if not 0 < speed <= 600:
            raise ScenarioError(f"--speed must be in (0, 600], got {speed}")
        if args.clock:
            clock: Any = clock_from_spec(args.clock)
        elif speed == 1.0 and scenario.start_ms() is None:
            clock = SystemClock()
        else:
            clock = ScaledClock(speed=speed, epoch_ms=scenario.start_ms())
        start = clock.now_ms()
        held = args.faults_on_request is not None
        sims = scenario.build(start, residents=args.residents, hold_faults=held)
    except (ScenarioError, ValueError) as exc:
        print(f"shedwatch sim run: {exc}", file=sys.stderr)
        return 2
    duration = args.duration if args.duration is not None else scenario.duration_s
    stop_at = start + int(duration * 1000) if duration else None
    on_tick = _on_request(scenario, sims, Path(args.faults_on_request)) if held else None
    return _drive(sims, args.broker, clock, args.truth, stop_at, on_tick)


def _on_request(scenario: Any, sims: list[Any], path: Path) -> Callable[[int], None]:
    """A tick hook that starts the scenario's faults at each new request in ``path`` (read at most every 0.2 s)."""
    from simulators.requests import RequestFile

    requests = RequestFile(path)
    last = [-1.0]

    def tick(now_ms: int) -> None:
        if time.monotonic() - last[0] < REQUEST_POLL_S:
            return
        last[0] = time.monotonic()
        for _ in range(requests.poll()):
            print(f"shedwatch sim: faults requested ({path}): starting them", file=sys.stderr, flush=True)
            scenario.schedule_faults(sims, now_ms)

    return tick


def _run_fleet(args: argparse.Namespace) -> int:
    from simulators.fleet import run_fleet_cli

    return run_fleet_cli(args)
