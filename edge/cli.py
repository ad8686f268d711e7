"""The `shedwatch edge` subcommand."""

import argparse
from typing import Any


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser("edge", help="(not built yet)")
    parser.set_defaults(func=lambda _args: 2)
    return parser
