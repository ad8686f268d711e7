"""Roles and the principal an authorisation decision is made for.

A deployment serves many communities (residential compounds). Every user belongs to
one or more of them and sees only those; only an admin may be deployment-wide.
"""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The five kinds of account (docs/accounts.md, "Roles")."""

    ADMIN = "admin"  # property management: accounts, tariffs, configuration
    OPERATOR = "operator"  # control room: watches every shed, dispatches, credits wallets
    SECURITY = "security"  # security staff: answer alarms on site
    INSTALLER = "installer"  # commissions and repairs posts and sensors; never sees residents
    RESIDENT = "resident"  # charges a bike: own sessions, wallet and notifications only


class AccessError(ValueError):
    """A principal or resource that cannot exist (e.g. a deployment-wide resident)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user as the API sees them.

    ``communities`` are the community ids the user belongs to; ``everywhere`` marks a
    deployment-wide admin (the first admin created by the CLI), who belongs to all.
    Raises AccessError for an empty user id, a non-admin ``everywhere``, or a user of no community.
    """

    user_id: str
    role: Role
    communities: frozenset[str] = frozenset()
    everywhere: bool = False

    def __post_init__(self) -> None:
        if not self.user_id:
            raise AccessError("a principal needs a user id")
        if self.everywhere and self.role is not Role.ADMIN:
            raise AccessError(f"only an admin may be deployment-wide, not a {self.role.value}")
        if not self.everywhere and not self.communities:
            raise AccessError(f"user {self.user_id!r} belongs to no community")

    def in_community(self, community: str | None) -> bool:
        """True when the user may see this community (None = deployment-wide: only an everywhere admin)."""
        if self.everywhere:
            return True
        return community is not None and community in self.communities
