"""Bearer tokens already verified, remembered: an operator's page or a control-room wall polls the API many
times a second with the same token, and checking its HS256 signature (PyJWT) was the largest cost of a cached
staff read (about 60-150 us of each request on this machine).

Only ``TokenCodec.verify`` is remembered (signature, claims, principal: the same answer for the same token string
and key, forever); the time rules (``check_times``: expiry, issued in the future) run on every use, so a token
expires exactly as before. A bad token is never remembered (functools.lru_cache keeps no exceptions), so garbage
costs a full check each time, as before. Bounded: the least recently used tokens go first.
"""

import functools
from typing import Any

from cloud.auth.tokens import TokenCodec
from cloud.core.access.roles import Principal

MAX_TOKENS = 4096  # distinct tokens remembered per process (a token lives 15 min by default)


@functools.lru_cache(maxsize=MAX_TOKENS)
def _verified(codec: TokenCodec, token: str) -> tuple[Principal, dict[str, Any]]:
    return codec.verify(token)


def check(codec: TokenCodec, token: str, *, now_s: float) -> tuple[Principal, dict[str, Any]]:
    """``codec.check(token, now_s=now_s)``, remembering the time-independent part. The claims are shared
    between calls: read them, never change them."""
    principal, claims = _verified(codec, token)
    codec.check_times(claims, now_s=now_s)
    return principal, claims
