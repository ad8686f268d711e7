"""Who is reading the stream: ``CallerDep``, the principal or None for an anonymous caller.

Until the accounts' ``cloud.api.principal.current_principal`` is merged, every caller is anonymous here (so
the stream serves public ``availability`` only); the route depends on this one name, which then becomes that
dependency, and tests override it with ``app.dependency_overrides``.
"""

from typing import Annotated

from fastapi import Depends

from cloud.core.access.roles import Principal


async def stream_caller() -> Principal | None:
    """The caller's principal (None: anonymous)."""
    return None


CallerDep = Annotated[Principal | None, Depends(stream_caller)]
