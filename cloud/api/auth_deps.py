"""The API's account parts, one per app: the directory (accounts over the state store) and the login limiter.

Built on first use from the running app's settings and store (the hasher spends one Argon2 hash on its decoy,
so it is made once, not per request).
"""

import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from cloud.api.deps import CloudDep, CloudState
from cloud.auth.directory import Directory
from cloud.auth.limiter import LoginRateLimiter

_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class AuthKit:
    """``directory`` of accounts; ``limiter`` of failed logins (per process, in memory)."""

    directory: Directory
    limiter: LoginRateLimiter


def auth_kit(request: Request, cloud: CloudState) -> AuthKit:
    """The app's kit, made once."""
    kit = getattr(request.app.state, "auth_kit", None)
    if kit is None:
        with _lock:
            kit = getattr(request.app.state, "auth_kit", None)
            if kit is None:
                settings = cloud.settings
                directory = Directory(
                    cloud.stores.state.engine,
                    settings.password_hasher(),
                    now_ms=cloud.clock.now_ms,
                    max_concurrent_hashes=settings.argon2_max_concurrent,
                )
                kit = AuthKit(directory, settings.login_limiter())
                request.app.state.auth_kit = kit
    assert isinstance(kit, AuthKit)
    return kit


def get_auth_kit(request: Request, cloud: CloudDep) -> AuthKit:
    """Dependency form of ``auth_kit`` (sync: the first call builds the hasher off the event loop)."""
    return auth_kit(request, cloud)


AuthKitDep = Annotated[AuthKit, Depends(get_auth_kit)]
