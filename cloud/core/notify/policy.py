"""When the notifier may send: retry backoff and each channel's rate limit, as pure functions of time.

Rate limits (per bot / webhook, over a sliding minute): DingTalk custom robots take 20 messages a minute
(DingTalk open platform, "custom robot" limits); WeCom group bots 20 a minute (WeCom developer docs,
"group robot"); Feishu / Lark custom bots 100 a minute and 5 a second (Feishu open platform, "custom bot").
Others get a conservative default. The excess of a bot's limit is refused or dropped by the service, so the
notifier waits instead of sending into it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``per_minute`` sends in any 60 s window."""

    per_minute: int


RATE_LIMITS: dict[str, RateLimit] = {
    "dingtalk": RateLimit(20),
    "wecombot": RateLimit(20),
    "feishu": RateLimit(100),
    "lark": RateLimit(100),
}
DEFAULT_LIMIT = RateLimit(60)


def channel_kind(url: str) -> str:
    """The channel kind of a target URL: its scheme without a '+transport' suffix ('dingtalk+http' -> 'dingtalk')."""
    scheme = url.split("://", 1)[0].lower()
    return scheme.split("+", 1)[0]


def rate_limit(url: str, overrides: dict[str, int] | None = None) -> RateLimit:
    """The limit that applies to ``url``'s channel kind (``overrides``: per-kind messages a minute from settings)."""
    kind = channel_kind(url)
    if overrides and kind in overrides:
        return RateLimit(overrides[kind])
    return RATE_LIMITS.get(kind, DEFAULT_LIMIT)


def wait_for_rate(sent_ms: Sequence[int], now: int, limit: RateLimit) -> int:
    """Milliseconds to wait before the next send to one target, given its recent send times (0 = now)."""
    recent = sorted(t for t in sent_ms if now - MINUTE_MS < t <= now)
    if len(recent) < limit.per_minute:
        return 0
    # The oldest send that keeps the window full must leave it first.
    return recent[len(recent) - limit.per_minute] + MINUTE_MS - now


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: ``first_s`` doubling up to ``max_s``; give up after ``max_attempts`` (0 = never)."""

    first_s: float = 2.0
    max_s: float = 300.0
    max_attempts: int = 0  # an alert to security staff is never abandoned while its incident is open


def retry_at(attempts: int, now: int, backoff: Backoff = Backoff()) -> int | None:
    """When to try again after ``attempts`` failed tries (None: give up)."""
    if attempts < 1:
        raise ValueError("attempts must be >= 1 after a failure")
    if backoff.max_attempts and attempts >= backoff.max_attempts:
        return None
    delay_s = min(backoff.first_s * 2 ** min(attempts - 1, 30), backoff.max_s)
    return now + int(delay_s * 1000)


# A resident's charging notice (session ended, move your bike, a socket is free) is news only for a while: unlike
# an alert of an open incident it is given up after this many tries or this age, so a dead channel is not retried
# for ever (2 s doubling: the 8th try is about 4 minutes after the first).
NOTICE_MAX_ATTEMPTS = 8
NOTICE_MAX_AGE_MS = 60 * MINUTE_MS


def notice_retry_at(attempts: int, created_ms: int, now: int, backoff: Backoff = Backoff()) -> int | None:
    """When to try a resident's notice again after ``attempts`` failed tries (None: give up, per
    ``NOTICE_MAX_ATTEMPTS`` and ``NOTICE_MAX_AGE_MS`` from ``created_ms``)."""
    if attempts >= NOTICE_MAX_ATTEMPTS:
        return None
    again = retry_at(attempts, now, backoff)
    if again is None or again - created_ms > NOTICE_MAX_AGE_MS:
        return None
    return again
