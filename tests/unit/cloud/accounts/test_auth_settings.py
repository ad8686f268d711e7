"""AuthSettings refuses placeholder and short secrets and insecure cookies outside development."""

import pytest
from pydantic import ValidationError

from cloud.auth.settings import AuthSettings, is_placeholder
from cloud.core.access.roles import Principal, Role

GOOD = "Zq9-uV3kP0wYt7sLr2mXc8bNf4hJd6gA1eQ5"


@pytest.fixture(autouse=True)
def _production_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # tests/conftest.py makes every other test a development deployment; these test the real defaults.
    monkeypatch.delenv("SHEDWATCH_CLOUD_ENVIRONMENT", raising=False)
    monkeypatch.delenv("SHEDWATCH_CLOUD_SECRET_KEY", raising=False)


@pytest.mark.parametrize("env", ["production", "staging"])
@pytest.mark.parametrize(
    ("secret", "match"),
    [
        ("", "placeholder"),
        ("changethis", "placeholder"),
        ("CHANGEME", "placeholder"),
        ("please-changeme-before-going-live-now", "placeholder"),
        ("a" * 64, "placeholder"),
        ("short-but-random-9f8e7d", "at least 32"),
    ],
)
def test_weak_secrets_are_refused_outside_development(env: str, secret: str, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        AuthSettings(environment=env, secret_key=secret)


def test_production_is_the_default_and_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHEDWATCH_CLOUD_SECRET_KEY", raising=False)
    monkeypatch.delenv("SHEDWATCH_CLOUD_ENVIRONMENT", raising=False)
    with pytest.raises(ValidationError, match="SHEDWATCH_CLOUD_SECRET_KEY"):
        AuthSettings()
    monkeypatch.setenv("SHEDWATCH_CLOUD_SECRET_KEY", GOOD)
    settings = AuthSettings()
    assert settings.environment == "production" and settings.secret_key.get_secret_value() == GOOD
    assert GOOD not in repr(settings)  # SecretStr keeps it out of logs


def test_insecure_cookies_only_in_development() -> None:
    with pytest.raises(ValidationError, match="cookie_secure"):
        AuthSettings(secret_key=GOOD, cookie_secure=False)
    assert not AuthSettings(environment="development", cookie_secure=False).cookie_secure


def test_development_without_a_secret_gets_a_random_one_per_process() -> None:
    a = AuthSettings(environment="development").secret_key.get_secret_value()
    b = AuthSettings(environment="development").secret_key.get_secret_value()
    assert len(a) >= 32 and a != b and not is_placeholder(a)


@pytest.mark.parametrize(("ttl", "ok"), [(59, False), (60, True), (3600, True), (3601, False)])
def test_token_lifetime_is_short(ttl: int, ok: bool) -> None:
    if ok:
        assert AuthSettings(secret_key=GOOD, access_token_ttl_s=ttl).token_codec().ttl_s == ttl
    else:
        with pytest.raises(ValidationError, match="access_token_ttl_s"):
            AuthSettings(secret_key=GOOD, access_token_ttl_s=ttl)


def test_the_settings_build_working_parts() -> None:
    s = AuthSettings(
        secret_key=GOOD,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        login_max_failures_per_user=1,
    )
    hasher = s.password_hasher()
    assert hasher.verify(hasher.hash("password123"), "password123")
    codec = s.token_codec()
    p = Principal("op", Role.OPERATOR, frozenset({"c1"}))
    assert codec.check(codec.issue(p, now_s=1e9), now_s=1e9)[0] == p
    limiter = s.login_limiter()
    limiter.record("op", "10.0.0.1", ok=False)
    assert not limiter.allow("op", "10.0.0.1").allowed
