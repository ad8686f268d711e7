"""Account rules, pure: user names, display names, community ids and who may hold which account.

User names are case-insensitive: stored case-folded, 3-64 characters of letters, digits and ``. _ - @``, starting
with a letter or digit (so an e-mail address or a phone number works). Community ids follow the shed files'
ids (lower-case letters, digits, ``-`` and ``_``, 1-100 characters).
"""

import re
from dataclasses import dataclass

from cloud.auth.errors import AccountError
from cloud.core.access.roles import AccessError, Principal, Role

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
_COMMUNITY = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
MAX_DISPLAY_NAME = 200
# A community's display name: one limit whichever route sets it (POST /communities, PUT /config/communities/...),
# so a name one accepts the other can always show.
MAX_COMMUNITY_NAME = 100


def normalize_username(raw: str) -> str:
    """The stored form of a user name (stripped, case-folded); raises AccountError when it cannot be one."""
    name = raw.strip().casefold()
    if not _USERNAME.fullmatch(name):
        raise AccountError("a user name has 3-64 of a-z 0-9 . _ - @, starting with a letter or digit")
    return name


def check_display_name(name: str, limit: int = MAX_DISPLAY_NAME) -> str:
    """The display name stripped; raises AccountError when longer than ``limit`` characters or with control
    characters."""
    name = name.strip()
    if len(name) > limit or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise AccountError(f"a display name has at most {limit} printable characters")
    return name


def check_community_id(community: str) -> str:
    """The community id unchanged when valid; raises AccountError otherwise."""
    if not _COMMUNITY.fullmatch(community):
        raise AccountError(f"bad community id {community!r}: 1-100 of a-z 0-9 - _, starting with a letter or digit")
    return community


@dataclass(frozen=True, slots=True)
class User:
    """One account as stored. ``created_ms`` epoch ms; ``password_hash`` the Argon2id PHC string."""

    id: str
    username: str
    display_name: str
    role: Role
    communities: frozenset[str]
    everywhere: bool
    disabled: bool
    created_ms: int
    password_hash: str = ""

    def principal(self) -> Principal:
        """The principal this account logs in as; raises AccountError for an account that cannot log in
        (a non-admin deployment-wide, or a user left without any community)."""
        try:
            return Principal(self.id, self.role, self.communities, everywhere=self.everywhere)
        except AccessError as exc:
            raise AccountError(str(exc)) from None


def check_account(role: Role, communities: frozenset[str], *, everywhere: bool) -> None:
    """Raise AccountError unless such an account can log in: a community at least, deployment-wide only an admin."""
    for c in communities:
        check_community_id(c)
    User("check", "check", "", role, communities, everywhere, False, 0).principal()
