"""The ``shedwatch`` command: demo, cloud, edge and sim subcommands.

Each part registers its own subcommand (``add_parser``) so this file stays glue;
heavy imports happen only when a subcommand runs.
"""

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    from cloud import cli as cloud_cli
    from edge import cli as edge_cli
    from shedwatch import demo
    from simulators import cli as sim_cli

    parser = argparse.ArgumentParser(
        prog="shedwatch",
        description="ShedWatch: safe e-bike charging sheds, watched around the clock.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo.add_parser(sub)
    cloud_cli.add_parser(sub)
    edge_cli.add_parser(sub)
    sim_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand and return its exit code."""
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
