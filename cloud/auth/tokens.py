"""Short-lived OAuth2 bearer tokens (RFC 6750) as HS256-signed JWTs (RFC 7519) through PyJWT.

Claims: ``sub`` user id, ``role``, ``com`` community ids, ``all`` (deployment-wide admin), ``iat`` and ``exp``
(epoch seconds), ``jti`` (random id, for the audit record and revocation lists), ``iss`` and ``aud``.
The clock is passed in (``now_s``, epoch seconds) so expiry is tested without sleeping; PyJWT's own
time checks are turned off and done here, once.
"""

import secrets
from dataclasses import dataclass
from typing import Any

import jwt

from cloud.auth.errors import ExpiredToken, InvalidToken
from cloud.core.access.roles import AccessError, Principal, Role

ALGORITHM = "HS256"
ISSUER = "shedwatch"
AUDIENCE = "shedwatch-api"
_REQUIRED = ["sub", "role", "com", "iat", "exp", "jti", "iss", "aud"]


@dataclass(frozen=True, slots=True)
class TokenCodec:
    """Issues and checks access tokens with one secret key (bytes or str, at least 32 characters outside dev)."""

    secret: str
    ttl_s: int = 900
    leeway_s: int = 10  # clock skew between API replicas

    def issue(self, principal: Principal, *, now_s: float, jti: str | None = None) -> str:
        """A signed token for ``principal``, valid from ``now_s`` for ``ttl_s`` seconds."""
        iat = int(now_s)
        claims: dict[str, Any] = {
            "sub": principal.user_id,
            "role": principal.role.value,
            "com": sorted(principal.communities),
            "all": principal.everywhere,
            "iat": iat,
            "exp": iat + self.ttl_s,
            "jti": jti or secrets.token_urlsafe(16),
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def check(self, token: str, *, now_s: float) -> tuple[Principal, dict[str, Any]]:
        """The principal and raw claims of a good token; raises ExpiredToken or InvalidToken."""
        principal, claims = self.verify(token)
        self.check_times(claims, now_s=now_s)
        return principal, claims

    def verify(self, token: str) -> tuple[Principal, dict[str, Any]]:
        """Everything about a token that does not depend on the time: signature, claims, lifetime, principal.

        Its answer for one token string never changes, so it may be remembered (cloud.auth.verified);
        ``check_times`` must still run on every use. Raises InvalidToken."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],  # never taken from the token header ("alg": "none" attacks)
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"bad token: {exc}") from None
        exp, iat = claims["exp"], claims["iat"]
        if not isinstance(exp, int) or not isinstance(iat, int):
            raise InvalidToken("bad token: exp and iat must be integers")
        if exp - iat > self.ttl_s:  # longer-lived than we issue
            raise InvalidToken("bad token: implausible lifetime")
        try:
            principal = Principal(
                str(claims["sub"]),
                Role(claims["role"]),
                frozenset(str(c) for c in claims["com"]),
                everywhere=claims.get("all") is True,
            )
        except (ValueError, TypeError, AccessError) as exc:
            raise InvalidToken(f"bad token: {exc}") from None
        return principal, claims

    def check_times(self, claims: dict[str, Any], *, now_s: float) -> None:
        """Raise InvalidToken for a token issued in the future, ExpiredToken past its ``exp`` (both with leeway)."""
        if claims["iat"] > now_s + self.leeway_s:
            raise InvalidToken("bad token: implausible lifetime")
        if now_s >= claims["exp"] + self.leeway_s:
            raise ExpiredToken("token expired")
