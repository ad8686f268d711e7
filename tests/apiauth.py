"""Bearer headers for route tests without creating a user (STAND-IN until `auth` lands the real helper)."""

import time

from cloud.api.principal import CODEC
from cloud.core.access.roles import Principal, Role


def bearer(
    settings: object, role: str, communities: tuple[str, ...] = ("c1",), user_id: str = "u1", everywhere: bool = False
) -> dict[str, str]:
    """``{"Authorization": "Bearer ..."}`` for a principal of ``role`` in ``communities``."""
    del settings
    principal = Principal(user_id, Role(role), frozenset(communities), everywhere=everywhere)
    return {"Authorization": f"Bearer {CODEC.issue(principal, now_s=time.time())}"}
