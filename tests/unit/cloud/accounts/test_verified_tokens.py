"""Remembered token verification: the signature once per token and key, the time rules on every use."""

import pytest

from cloud.auth import verified
from cloud.auth.errors import ExpiredToken, InvalidToken
from cloud.auth.tokens import TokenCodec
from cloud.core.access.roles import Principal, Role

KEY, OTHER_KEY = "k" * 48, "o" * 48
NOW = 1_800_000_000.0


def _token(codec: TokenCodec) -> str:
    return codec.issue(Principal("u1", Role.OPERATOR, frozenset({"c1"})), now_s=NOW)


def test_a_remembered_token_still_expires_and_is_not_valid_before_it_was_issued() -> None:
    codec = TokenCodec(KEY, ttl_s=900)
    token = _token(codec)
    before = verified._verified.cache_info()
    assert verified.check(codec, token, now_s=NOW)[0].user_id == "u1"
    assert verified.check(codec, token, now_s=NOW + 100)[0].user_id == "u1"
    after = verified._verified.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)  # verified once, then remembered
    with pytest.raises(ExpiredToken):
        verified.check(codec, token, now_s=NOW + 900 + codec.leeway_s)
    with pytest.raises(InvalidToken):
        verified.check(codec, token, now_s=NOW - codec.leeway_s - 1)  # from the future: clocks apart
    assert verified.check(codec, token, now_s=NOW + 1) == codec.check(token, now_s=NOW + 1)


def test_another_key_or_a_changed_token_is_checked_afresh_and_refused() -> None:
    codec = TokenCodec(KEY, ttl_s=900)
    token = _token(codec)
    verified.check(codec, token, now_s=NOW)
    with pytest.raises(InvalidToken):
        verified.check(TokenCodec(OTHER_KEY, ttl_s=900), token, now_s=NOW)  # remembered for its key only
    with pytest.raises(InvalidToken):
        verified.check(TokenCodec(KEY, ttl_s=60), token, now_s=NOW)  # lives longer than this codec issues
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for _ in range(2):  # never remembered: refused each time
        with pytest.raises(InvalidToken):
            verified.check(codec, forged, now_s=NOW)
