"""The login rate limiter used by the API: throttle states per user name and per client address, in memory.

A small adapter around cloud.auth.throttle: it holds the states behind a lock (uvicorn may run sync
routes in threads) and reads a monotonic clock that the caller can replace in tests. Per process:
with several API replicas each counts its own attempts, so the effective limit is replicas x limit.
"""

import threading
import time
from collections.abc import Callable

from cloud.auth.throttle import ThrottlePolicy, ThrottleState, Verdict, check, failed, is_idle

MAX_KEYS = 100_000  # memory bound: idle keys are swept first, then the oldest are dropped


class LoginRateLimiter:
    """``allow(user, address)`` before verifying a password; ``record(user, address, ok)`` after."""

    def __init__(
        self,
        *,
        per_user: ThrottlePolicy,
        per_address: ThrottlePolicy,
        clock_ms: Callable[[], int] = lambda: time.monotonic_ns() // 1_000_000,
    ) -> None:
        self._policies = {"user": per_user, "address": per_address}
        self._states: dict[tuple[str, str], ThrottleState] = {}
        self._lock = threading.Lock()
        self._clock = clock_ms
        self.refused = 0  # attempts refused since start (exported as a metric by the API)

    def allow(self, user: str, address: str) -> Verdict:
        """Whether this login attempt may go ahead; the longer wait of the two keys when not."""
        now = self._clock()
        with self._lock:
            verdicts = [
                check(self._states.get((kind, key), ThrottleState()), self._policies[kind], now)
                for kind, key in (("user", user.casefold()), ("address", address))
            ]
            refused = [v for v in verdicts if not v.allowed]
            if not refused:
                return Verdict(True)
            self.refused += 1
            return Verdict(False, max(v.retry_after_s for v in refused))

    def record(self, user: str, address: str, *, ok: bool) -> None:
        """Count a failed attempt against both keys; a good one clears the user name's failures only.

        The address keeps its count, so one good account cannot be used to reset guessing at others.
        """
        now = self._clock()
        with self._lock:
            if ok:
                self._states.pop(("user", user.casefold()), None)
                return
            for kind, key in (("user", user.casefold()), ("address", address)):
                policy = self._policies[kind]
                self._states[(kind, key)] = failed(self._states.get((kind, key), ThrottleState()), policy, now)
            if len(self._states) > MAX_KEYS:
                self._sweep(now)

    def _sweep(self, now: int) -> None:
        for k, state in list(self._states.items()):
            if is_idle(state, self._policies[k[0]], now):
                del self._states[k]
        while len(self._states) > MAX_KEYS:  # still over after the sweep: forget the oldest entries
            del self._states[next(iter(self._states))]

    def __len__(self) -> int:
        return len(self._states)
