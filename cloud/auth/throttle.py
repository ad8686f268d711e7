"""Login throttling, the pure decision (OWASP Authentication Cheat Sheet: limit failed logins per account and source).

A key (a user name, or a client address) may fail ``max_failures`` times within ``window_s``; the next
attempt is refused until the oldest of those failures leaves the window. A good login clears a user
name's failures. States are immutable; times are monotonic milliseconds passed in.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """At most ``max_failures`` failed logins per key in any ``window_s`` seconds."""

    max_failures: int = 5
    window_s: float = 900.0

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window_s <= 0:
            raise ValueError("a throttle needs max_failures >= 1 and window_s > 0")


@dataclass(frozen=True, slots=True)
class ThrottleState:
    """The recent failures of one key (monotonic ms, oldest first; at most ``max_failures`` kept)."""

    failures: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """May this key try now; if not, after how many seconds (for the Retry-After header)."""

    allowed: bool
    retry_after_s: float = 0.0


def _recent(state: ThrottleState, policy: ThrottlePolicy, now_ms: int) -> tuple[int, ...]:
    horizon = now_ms - int(policy.window_s * 1000)
    return tuple(t for t in state.failures if t > horizon)


def check(state: ThrottleState, policy: ThrottlePolicy, now_ms: int) -> Verdict:
    """Whether one more attempt is allowed now."""
    recent = _recent(state, policy, now_ms)
    if len(recent) < policy.max_failures:
        return Verdict(True)
    free_at = recent[-policy.max_failures] + int(policy.window_s * 1000)
    return Verdict(False, max(0.0, (free_at - now_ms) / 1000.0))


def failed(state: ThrottleState, policy: ThrottlePolicy, now_ms: int) -> ThrottleState:
    """The state after a failed attempt (older failures that no longer count are dropped)."""
    return ThrottleState((*_recent(state, policy, now_ms), now_ms)[-policy.max_failures :])


def is_idle(state: ThrottleState, policy: ThrottlePolicy, now_ms: int) -> bool:
    """True when no failure counts any more: the key can be forgotten."""
    return not _recent(state, policy, now_ms)
