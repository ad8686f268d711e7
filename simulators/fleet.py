"""Fleet mode: many sheds x posts x sockets publishing at a steady rate (load generator)."""

import argparse
import sys


def run_fleet_cli(args: argparse.Namespace) -> int:
    """Entry point of `shedwatch sim fleet`."""
    print("shedwatch sim fleet: not built yet", file=sys.stderr)
    return 2
