"""Cross-site request forgery check for cookie-authenticated requests, the pure decision (OWASP CSRF Prevention
Cheat Sheet: "Verifying Origin With Standard Headers", on top of SameSite=Strict cookies).

A state-changing request (any method but GET, HEAD, OPTIONS) that authenticates with the session cookie must
come from a page of the API's own origin (the ``Origin`` header's host[:port] equal to the ``Host`` header) or of
one of the configured ``allowed_origins``. Without ``Origin`` the ``Referer``'s origin is used; with neither, or
``Origin: null``, the request is refused. Bearer-token requests are not checked: browsers never attach those
on their own.
"""

from collections.abc import Collection
from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _origin_of(url: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of an origin or URL, lower-case; None when it has none."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def csrf_refusal(
    method: str, *, origin: str | None, referer: str | None, host: str | None, allowed_origins: Collection[str] = ()
) -> str | None:
    """Why this cookie-authenticated request is refused, or None when it may go ahead."""
    if method.upper() in SAFE_METHODS:
        return None
    source = origin if origin is not None else referer
    if source is None:
        return "cross-site request refused: a cookie-authenticated write needs an Origin or Referer header"
    seen = _origin_of(source)
    if seen is None:
        return "cross-site request refused: opaque or malformed origin"
    if host is not None and seen[1] == host.strip().lower():
        return None
    if seen in {o for o in (_origin_of(a) for a in allowed_origins) if o is not None}:
        return None
    return f"cross-site request refused: origin {seen[0]}://{seen[1]} is not allowed"
