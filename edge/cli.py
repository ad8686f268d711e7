"""The ``shedwatch edge`` subcommand: run one shed's edge agent until SIGINT or SIGTERM."""

import argparse
from typing import Any


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "edge", help="run a shed's edge agent (interlocks, alarms, outbox, uplink)"
    )
    parser.add_argument("--config", required=True, help="shed TOML file ([agent] and [shed] tables)")
    parser.add_argument("--clock", default="real", help="'real' or 'SPEED,EPOCH_MS,ANCHOR_MS' (simulated time)")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Start the agent; return 0 on a clean stop, 2 on a bad config."""
    import logging
    import signal
    import sys

    from edge.agent import Agent
    from edge.errors import EdgeError
    from edge.settings import load_config
    from protocol.clock import clock_from_spec

    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        cfg = load_config(args.config)
        clock = clock_from_spec(args.clock)
        agent = Agent(cfg, clock)
    except (EdgeError, ValueError) as exc:
        print(f"shedwatch edge: {exc}", file=sys.stderr)
        return 2

    def on_signal(_signum: int, _frame: object) -> None:
        agent.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        agent.run()
    finally:
        agent.close()
    return 0
