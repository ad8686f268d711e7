"""Helpers every benchmark shares: argument parsing and the one-JSON-line result."""

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import orjson

# Benchmarks run throwaway clouds: development settings (a random token key per process) instead of refusing
# to start without a secret; inherited by the `shedwatch cloud` processes they start.
os.environ.setdefault("SHEDWATCH_CLOUD_ENVIRONMENT", "development")


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the common --quick flag."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a short run (seconds), for smoke tests")
    return p


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), interpolating between the two nearest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def emit(result: dict[str, Any]) -> None:
    """Print the result as one JSON object on the last line of output."""
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()
