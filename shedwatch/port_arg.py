"""The ``--port`` argument type: a TCP port number, 0-65535, where 0 asks for any free port."""

import argparse

MAX_PORT = 65535


def port_number(text: str) -> int:
    """Parse a --port value; argparse turns the ArgumentTypeError into a usage error (exit 2)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    # Checked here, not at bind time: an out-of-range port made socket.bind raise OverflowError (a traceback, exit 1).
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 0-{MAX_PORT} (0: any free port)")
    return port
