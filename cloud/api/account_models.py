"""Request and response bodies of the account routes (auth, me, users, communities, audit; docs/api.md)."""

from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cloud.auth.accounts import MAX_COMMUNITY_NAME, User
from cloud.auth.passwords import MAX_LENGTH
from cloud.core.access.roles import Role
from cloud.state.audit_rows import AuditEntry


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    """``POST /api/v1/auth/login`` as JSON (a form with the same two fields works too)."""

    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class TokenOut(BaseModel):
    """An OAuth2 access token (RFC 6749 5.1); ``expires_in`` seconds."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserOut(BaseModel):
    """One account, never its password hash. ``created_ms`` epoch ms; ``communities`` sorted."""

    id: str
    username: str
    display_name: str
    role: Role
    communities: list[str]
    everywhere: bool
    disabled: bool
    created_ms: int

    @classmethod
    def of(cls, user: User, visible: frozenset[str] | None = None) -> "UserOut":
        """The body of ``user``; ``visible`` limits the communities shown (None: all of them)."""
        shown = user.communities if visible is None else user.communities & visible
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            communities=sorted(shown),
            everywhere=user.everywhere,
            disabled=user.disabled,
            created_ms=user.created_ms,
        )


class LoginOut(BaseModel):
    """``POST /api/v1/auth/login``: who logged in and how long the cookie lives (seconds)."""

    user: UserOut
    expires_in: int


class NewUserIn(_In):
    """``POST /api/v1/users``: a staff or resident account in some of the admin's communities."""

    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)
    role: Role
    communities: list[str] = Field(min_length=1, max_length=100)
    display_name: str = Field(default="", max_length=200)


class UserChangeIn(_In):
    """``PATCH /api/v1/users/{id}``: only the fields given change."""

    role: Role | None = None
    communities: list[str] | None = Field(default=None, min_length=1, max_length=100)
    display_name: str | None = Field(default=None, max_length=200)
    disabled: bool | None = None


class PasswordIn(_In):
    """``POST /api/v1/users/{id}/password``: the new password (8-256 characters)."""

    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class PasswordChangeIn(_In):
    """``POST /api/v1/me/password``: the current password and the new one."""

    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    new_password: str = Field(min_length=1, max_length=MAX_LENGTH)


class CommunityOut(BaseModel):
    """One community: its id and display name."""

    community: str
    name: str


class NewCommunityIn(_In):
    """``POST /api/v1/communities``: id (a-z 0-9 - _, 1-100) and display name (≤ 100 characters; default: the id)."""

    community: str = Field(min_length=1, max_length=100)
    name: str = Field(default="", max_length=MAX_COMMUNITY_NAME)


class AuditOut(BaseModel):
    """One audit line (docs/accounts.md, "Audit log")."""

    id: int
    ts_ms: int
    actor: str
    role: str
    action: str
    target: str
    community: str | None
    outcome: str
    detail: str
    address: str

    @classmethod
    def of(cls, e: AuditEntry) -> "AuditOut":
        """The body of one stored entry."""
        return cls(**asdict(e))


class AuditPage(BaseModel):
    """Newest first; pass ``next_before_id`` as ``before_id`` for the next page (null: no more)."""

    entries: list[AuditOut]
    next_before_id: int | None
