"""Access tokens: round trip, expiry on the passed-in clock, and every kind of forged or broken token."""

import base64
import json

import jwt
import pytest

from cloud.auth.errors import ExpiredToken, InvalidToken
from cloud.auth.tokens import AUDIENCE, ISSUER, TokenCodec
from cloud.core.access.roles import Principal, Role

SECRET = "k" * 20 + "0123456789abcdef"
T0 = 1_780_000_000.0
ALICE = Principal("alice", Role.RESIDENT, frozenset({"jinsong-north"}))


def codec(**kw: int) -> TokenCodec:
    return TokenCodec(SECRET, **kw)


def _claims(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "sub": "alice",
        "role": "resident",
        "com": ["c1"],
        "all": False,
        "iat": int(T0),
        "exp": int(T0) + 900,
        "jti": "j1",
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    base.update(over)
    return base


def test_a_token_carries_the_principal_back() -> None:
    token = codec().issue(ALICE, now_s=T0, jti="abc")
    principal, claims = codec().check(token, now_s=T0 + 60)
    assert principal == ALICE
    assert claims["jti"] == "abc" and claims["exp"] == int(T0) + 900


def test_a_deployment_wide_admin_keeps_everywhere() -> None:
    root = Principal("root", Role.ADMIN, everywhere=True)
    principal, _ = codec().check(codec().issue(root, now_s=T0), now_s=T0)
    assert principal.everywhere and principal.role is Role.ADMIN


def test_expiry_follows_the_passed_in_clock_with_leeway() -> None:
    token = codec(ttl_s=900, leeway_s=10).issue(ALICE, now_s=T0)
    codec(ttl_s=900, leeway_s=10).check(token, now_s=T0 + 909)
    with pytest.raises(ExpiredToken):
        codec(ttl_s=900, leeway_s=10).check(token, now_s=T0 + 910)


def test_another_key_or_a_changed_payload_is_refused() -> None:
    token = codec().issue(ALICE, now_s=T0)
    with pytest.raises(InvalidToken, match="Signature"):
        TokenCodec("z" * 40).check(token, now_s=T0)
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        codec().check(f"{head}.{forged}.{sig}", now_s=T0)


def test_an_unsigned_alg_none_token_is_refused() -> None:
    token = jwt.encode(_claims(), key=None, algorithm="none")
    with pytest.raises(InvalidToken):
        codec().check(token, now_s=T0)


@pytest.mark.parametrize(
    ("claims", "match"),
    [
        (_claims(aud="someone-else"), "(?i)audience"),
        (_claims(iss="evil"), "(?i)issuer"),
        ({k: v for k, v in _claims().items() if k != "com"}, "com"),
        (_claims(exp=int(T0) + 7200), "implausible lifetime"),  # longer-lived than this codec issues
        (_claims(iat=int(T0) + 600, exp=int(T0) + 1500), "implausible lifetime"),  # issued in the future
        (_claims(exp=float(T0) + 900.5), "integers"),
        (_claims(role="superuser"), "superuser"),
        (_claims(role="operator", all=True), "only an admin"),
        (_claims(com=[]), "no community"),
    ],
)
def test_broken_claims_are_refused(claims: dict[str, object], match: str) -> None:
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken, match=match):
        codec().check(token, now_s=T0)


def test_garbage_is_refused() -> None:
    with pytest.raises(InvalidToken):
        codec().check("not.a.token", now_s=T0)
