"""AuthSettings: accounts and tokens (env prefix SHEDWATCH_CLOUD_); CloudSettings inherits these fields.

Outside development the secret key must be set, at least 32 characters, and not a placeholder, and
session cookies must be Secure: the process refuses to start otherwise (pydantic ValidationError naming
the field). The environment defaults to production so that a forgotten setting fails closed.
"""

import secrets
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cloud.auth.limiter import LoginRateLimiter
from cloud.auth.passwords import PasswordHasher
from cloud.auth.throttle import ThrottlePolicy
from cloud.auth.tokens import TokenCodec

MIN_SECRET_LENGTH = 32  # 256 bits of key for HS256 (RFC 7518 3.2: a key at least as long as the hash)
# Values seen in templates and tutorials; compared case-insensitively, and any secret containing
# "changeme"/"changethis" is refused too.
PLACEHOLDERS = frozenset({"", "changethis", "changeme", "secret", "password", "shedwatch", "development", "test"})


def is_placeholder(secret: str) -> bool:
    """True for an empty, template or single-character-repeated secret."""
    s = secret.strip().casefold()
    return s in PLACEHOLDERS or "changethis" in s or "changeme" in s or len(set(s)) <= 1


class AuthSettings(BaseSettings):
    """Accounts, tokens and login throttling of the cloud API."""

    model_config = SettingsConfigDict(env_prefix="SHEDWATCH_CLOUD_", extra="ignore")

    environment: Literal["development", "staging", "production"] = "production"
    # HS256 key of the API tokens and session cookies. Empty in development: a random key per process.
    secret_key: SecretStr = SecretStr("")
    access_token_ttl_s: int = Field(default=900, ge=60, le=3600)  # short-lived: 15 min, at most 1 h
    cookie_secure: bool = True  # session cookies only over HTTPS
    login_max_failures_per_user: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_window_s: float = Field(default=900.0, gt=0)
    # Origins (scheme://host[:port]) besides the API's own whose pages may send cookie-authenticated writes
    # (docs/accounts.md, "CSRF"); empty: same origin only.
    allowed_origins: list[str] = []
    # Argon2id costs (RFC 9106 low-memory profile); lower them only for tests.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    # Hashes / verifications at once per process (each holds argon2_memory_kib): bounds memory under a login burst.
    argon2_max_concurrent: int = Field(default=4, ge=1, le=64)

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Self:
        secret = self.secret_key.get_secret_value()
        if self.environment == "development":
            if not secret:
                self.secret_key = SecretStr(secrets.token_urlsafe(48))
            return self
        if is_placeholder(secret):
            raise ValueError(
                f"secret_key is unset or a placeholder; set SHEDWATCH_CLOUD_SECRET_KEY (environment={self.environment})"
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"secret_key must have at least {MIN_SECRET_LENGTH} characters outside development")
        if not self.cookie_secure:
            raise ValueError("cookie_secure may be false only in development")
        return self

    def token_codec(self) -> TokenCodec:
        """The token issuer/checker these settings describe."""
        return TokenCodec(self.secret_key.get_secret_value(), ttl_s=self.access_token_ttl_s)

    def password_hasher(self) -> PasswordHasher:
        """The password hasher these settings describe."""
        return PasswordHasher(
            time_cost=self.argon2_time_cost, memory_kib=self.argon2_memory_kib, parallelism=self.argon2_parallelism
        )

    def login_limiter(self) -> LoginRateLimiter:
        """A fresh login rate limiter with these limits."""
        return LoginRateLimiter(
            per_user=ThrottlePolicy(self.login_max_failures_per_user, self.login_window_s),
            per_address=ThrottlePolicy(self.login_max_failures_per_address, self.login_window_s),
        )
