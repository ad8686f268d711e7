"""Argon2id password hashing: round trip, refusals, re-hash, unknown users."""

import pytest

from cloud.auth.errors import WeakPassword
from cloud.auth.passwords import MAX_LENGTH, MIN_LENGTH, PasswordHasher

# Cheap costs keep the unit tests fast; one test below checks the production defaults.
FAST = {"time_cost": 1, "memory_kib": 1024, "parallelism": 1}


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(**FAST)


def test_a_hash_verifies_its_password_and_nothing_else(hasher: PasswordHasher) -> None:
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert "correct horse" not in stored
    assert hasher.verify(stored, "correct horse battery")
    assert not hasher.verify(stored, "correct horse batterY")
    assert hasher.hash("correct horse battery") != stored  # a fresh salt each time


def test_the_defaults_are_rfc_9106_low_memory() -> None:
    stored = PasswordHasher().hash("a long enough password")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_an_unknown_user_or_a_corrupt_hash_never_verifies(hasher: PasswordHasher) -> None:
    assert not hasher.verify(None, "no such user: constant-time decoy")  # not even the decoy's own password
    assert not hasher.verify("not a hash", "whatever12")
    assert not hasher.verify("$argon2id$v=19$m=1024,t=1,p=1$AAAA$BBBB", "whatever12")


@pytest.mark.parametrize(
    ("password", "message"),
    [("x" * (MIN_LENGTH - 1), "at least 8"), ("x" * (MAX_LENGTH + 1), "at most 256")],
)
def test_the_policy_refuses_short_and_huge_passwords(hasher: PasswordHasher, password: str, message: str) -> None:
    with pytest.raises(WeakPassword, match=message):
        hasher.hash(password)


def test_a_huge_password_is_refused_at_login_without_hashing(hasher: PasswordHasher) -> None:
    stored = hasher.hash("x" * MAX_LENGTH)
    assert hasher.verify(stored, "x" * MAX_LENGTH)
    assert not hasher.verify(stored, "x" * (MAX_LENGTH + 1))


def test_raising_the_cost_asks_for_a_rehash(hasher: PasswordHasher) -> None:
    stored = hasher.hash("correct horse battery")
    assert not hasher.needs_rehash(stored)
    assert PasswordHasher(time_cost=2, memory_kib=1024, parallelism=1).needs_rehash(stored)
    assert hasher.needs_rehash("garbage")
