"""Password hashing with Argon2id through argon2-cffi (RFC 9106; OWASP Password Storage Cheat Sheet).

Stored form: the PHC string argon2-cffi produces (``$argon2id$v=19$m=65536,t=3,p=4$salt$hash``), which
carries its own parameters, so raising the cost later re-hashes each password at its next login
(``needs_rehash``). Plain passwords are never logged or stored.
"""

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cloud.auth.errors import WeakPassword

# NIST SP 800-63B 5.1.1.2: at least 8 characters, allow at least 64. The upper bound stops a
# multi-megabyte "password" from being hashed on every login attempt.
MIN_LENGTH = 8
MAX_LENGTH = 256


def check_policy(password: str) -> None:
    """Raise WeakPassword unless MIN_LENGTH <= len(password) <= MAX_LENGTH (characters)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password may have at most {MAX_LENGTH} characters")


class PasswordHasher:
    """Hashes and verifies passwords; costs default to argon2-cffi's RFC 9106 low-memory profile.

    ``time_cost`` iterations, ``memory_kib`` KiB of memory, ``parallelism`` lanes.
    """

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4) -> None:
        self._ph = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        # Verified against when the user does not exist, so a login takes as long either way and
        # does not reveal which user names exist.
        self._dummy = self._ph.hash("no such user: constant-time decoy")

    def hash(self, password: str) -> str:
        """The PHC string for a new password; raises WeakPassword when the policy refuses it."""
        check_policy(password)
        return self._ph.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches the stored hash; False for a mismatch, a corrupt hash or no user.

        ``stored=None`` (unknown user) still spends one verification, so timing does not leak.
        """
        if len(password) > MAX_LENGTH:
            return False
        try:
            return self._ph.verify(stored if stored is not None else self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when the stored hash used other parameters than this hasher's (re-hash after a good login)."""
        try:
            return self._ph.check_needs_rehash(stored)
        except (InvalidHashError, ValueError):
            return True
