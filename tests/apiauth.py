"""Bearer headers for route tests: a signed token for any role, without creating a user (tokens are self-contained)."""

import time
from collections.abc import Iterable

from cloud.auth.settings import AuthSettings
from cloud.core.access.roles import Principal, Role


def bearer(
    settings: AuthSettings,
    role: Role | str,
    communities: Iterable[str] = ("c1",),
    user_id: str = "u1",
    everywhere: bool = False,
) -> dict[str, str]:
    """``{"Authorization": "Bearer ..."}`` for this principal, valid for the settings' token lifetime from now.

    ``settings`` must be the app's own (same secret key): in development each settings object makes its own key.
    """
    principal = Principal(user_id, Role(role), frozenset(communities), everywhere=everywhere)
    token = settings.token_codec().issue(principal, now_s=time.time())
    return {"Authorization": f"Bearer {token}"}
