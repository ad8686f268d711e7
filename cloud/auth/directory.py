"""The account directory: create, find, check and change accounts over the state store (used by the API and CLI).

Each method is one transaction. Passwords are hashed here (Argon2id, cloud.auth.passwords) and never stored or
logged in plain. At most ``max_concurrent_hashes`` hashes or verifications run at once (each takes the Argon2
memory cost, 64 MiB by default): a burst of logins from many addresses queues instead of exhausting memory.
Errors: AccountError (bad request), AccountConflict (taken), UnknownUser, WeakPassword.
"""

import secrets
import threading
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Literal

from sqlalchemy import Connection, Engine

from cloud.auth.accounts import (
    MAX_COMMUNITY_NAME,
    User,
    check_account,
    check_community_id,
    check_display_name,
    normalize_username,
)
from cloud.auth.errors import AccountError, UnknownUser
from cloud.auth.passwords import PasswordHasher
from cloud.core.access.roles import Role
from cloud.state import account_rows

LoginOutcome = Literal["ok", "bad credentials", "disabled"]


class Directory:
    """Accounts in the state store behind ``engine``; ``now_ms`` gives epoch ms for ``created_ms``."""

    def __init__(
        self, engine: Engine, hasher: PasswordHasher, *, now_ms: Callable[[], int], max_concurrent_hashes: int = 4
    ) -> None:
        self._engine = engine
        self._hasher = hasher
        self._now_ms = now_ms
        self._hashing = threading.BoundedSemaphore(max_concurrent_hashes)

    def _hash(self, password: str) -> str:
        with self._hashing:
            return self._hasher.hash(password)

    def _verify(self, stored: str | None, password: str) -> bool:
        with self._hashing:
            return self._hasher.verify(stored, password)

    def create_user(
        self,
        *,
        username: str,
        password: str,
        role: Role,
        communities: Collection[str] = (),
        display_name: str = "",
        everywhere: bool = False,
    ) -> User:
        """A new enabled account; every community must exist. Raises AccountError, AccountConflict, WeakPassword."""
        name = normalize_username(username)
        wanted = frozenset(communities)
        check_account(role, wanted, everywhere=everywhere)
        user = User(
            id=f"u-{secrets.token_hex(8)}",
            username=name,
            display_name=check_display_name(display_name),
            role=role,
            communities=wanted,
            everywhere=everywhere,
            disabled=False,
            created_ms=self._now_ms(),
            password_hash=self._hash(password),  # WeakPassword before anything is written
        )
        with self._engine.begin() as conn:
            self._check_exist(conn, wanted)
            account_rows.insert(conn, user)
        return user

    @staticmethod
    def _check_exist(conn: Connection, communities: Collection[str]) -> None:
        known = account_rows.community_names(conn, communities)
        missing = sorted(set(communities) - set(known))
        if missing:
            raise AccountError(f"no such community: {', '.join(missing)}")

    def authenticate(self, username: str, password: str) -> tuple[User | None, LoginOutcome]:
        """The user when the password is right and the account enabled, and what happened (for the audit).

        Always spends one Argon2 verification (a decoy for unknown names), so timing does not tell which names
        exist; a good login re-hashes a password stored with older costs.
        """
        try:
            name = normalize_username(username)
        except AccountError:
            name = ""
        with self._engine.connect() as conn:
            user = account_rows.by_username(conn, name) if name else None
        if not self._verify(user.password_hash if user else None, password) or user is None:
            return None, "bad credentials"
        if user.disabled:
            return None, "disabled"
        if self._hasher.needs_rehash(user.password_hash):
            with self._engine.begin() as conn:
                account_rows.update_user(conn, user.id, password_hash=self._hash(password))
        return user, "ok"

    def get(self, user_id: str) -> User | None:
        """The account with this id."""
        with self._engine.connect() as conn:
            return account_rows.by_id(conn, user_id)

    def find(self, username: str) -> User | None:
        """The account with this user name (any case)."""
        try:
            name = normalize_username(username)
        except AccountError:
            return None
        with self._engine.connect() as conn:
            return account_rows.by_username(conn, name)

    def users(self, communities: Collection[str] | None) -> list[User]:
        """Accounts by name: all (None) or those belonging to one of ``communities``."""
        with self._engine.connect() as conn:
            return account_rows.listed(conn, communities=communities)

    def change(
        self,
        user_id: str,
        *,
        role: Role | None = None,
        communities: Collection[str] | None = None,
        display_name: str | None = None,
        disabled: bool | None = None,
    ) -> User:
        """The account after changing the given fields (None: unchanged); the result must still be able to log in.

        Raises UnknownUser, AccountError (no community left, unknown community, a non-admin deployment-wide).
        """
        with self._engine.begin() as conn:
            user = account_rows.by_id(conn, user_id)
            if user is None:
                raise UnknownUser(f"no user {user_id!r}")
            after = replace(
                user,
                role=role if role is not None else user.role,
                communities=frozenset(communities) if communities is not None else user.communities,
                display_name=check_display_name(display_name) if display_name is not None else user.display_name,
                disabled=disabled if disabled is not None else user.disabled,
            )
            check_account(after.role, after.communities, everywhere=after.everywhere)
            if communities is not None:
                self._check_exist(conn, after.communities)
                account_rows.set_communities(conn, user_id, after.communities)
            account_rows.update_user(
                conn, user_id, role=after.role.value, display_name=after.display_name, disabled=after.disabled
            )
        return after

    def set_password(self, user_id: str, password: str) -> None:
        """Replace a password (policy-checked); raises WeakPassword or UnknownUser."""
        digest = self._hash(password)
        with self._engine.begin() as conn:
            if account_rows.by_id(conn, user_id) is None:
                raise UnknownUser(f"no user {user_id!r}")
            account_rows.update_user(conn, user_id, password_hash=digest)

    def communities(self, only: Collection[str] | None = None) -> dict[str, str]:
        """Community id -> name: all (None) or only those ids that exist."""
        with self._engine.connect() as conn:
            return account_rows.community_names(conn, only)

    def create_community(self, community: str, name: str = "") -> None:
        """A new community (name defaults to its id); raises AccountError or AccountConflict."""
        check_community_id(community)
        with self._engine.begin() as conn:
            account_rows.insert_community(conn, community, check_display_name(name, MAX_COMMUNITY_NAME) or community)

    def admins_everywhere(self) -> int:
        """How many enabled deployment-wide admins exist."""
        with self._engine.connect() as conn:
            return account_rows.count_admins_everywhere(conn)
