"""``python -m shedwatch.parent_guard PARENT_PID PROGRAM ARGS...``: run PROGRAM so that it gets SIGTERM when
PARENT_PID dies, even by SIGKILL, when nobody can stop it in order.

The demo starts each part in a session of its own (so a Ctrl-C reaches only the demo, which stops them in a safe
order); the price is that a part would outlive a demo killed outright. Linux's prctl(PR_SET_PDEATHSIG) asks the
kernel to signal us when our parent exits; it survives the exec below, so PROGRAM (mosquitto, the cloud, an edge,
a simulator) keeps it without knowing. Done here, between fork and exec in a fresh interpreter, rather than in a
Popen ``preexec_fn``, which is unsafe in a parent that runs threads (the demo does). Elsewhere than Linux it only
runs PROGRAM.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
EXIT_USAGE = 2


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel for ``sig`` when our parent exits; False where prctl is not there (not Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0)


def main(argv: list[str]) -> int:
    """Arm the guard and exec the program; returns only on bad arguments or when the parent is already gone."""
    if len(argv) < 2 or not argv[0].isdigit():
        print("usage: python -m shedwatch.parent_guard PARENT_PID PROGRAM [ARGS...]", file=sys.stderr)
        return EXIT_USAGE
    die_with_parent()
    # The parent may have died before prctl took effect: then we were re-parented and nobody would signal us.
    if os.getppid() != int(argv[0]):
        return 128 + signal.SIGTERM
    os.execvp(argv[1], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
