"""Signed short-lived links: acknowledge or check in on site from a phone without logging in.

A token is ``ACTION.INCIDENT.PERSON.EXPIRY_MS.SIG`` where SIG is the first 16 bytes of HMAC-SHA256 over the
rest with the cloud's link secret, base64url without padding (RFC 4648 section 5). The fields are
restricted to ``[A-Za-z0-9_-]`` so the dot separator cannot be forged into another split. Verification uses
a constant-time compare and checks expiry against the caller's ``now``.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

ACTIONS = frozenset({"ack", "onsite", "view"})
_FIELD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class LinkError(ValueError):
    """A token that is malformed, forged or expired (the message says which)."""


@dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a valid token allows: ``action`` on ``incident`` as ``person`` until ``expires_ms``."""

    action: str
    incident: str
    person: str
    expires_ms: int


def _sig(secret: bytes, body: str) -> str:
    mac = hmac.new(secret, body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign(claim: LinkClaim, secret: bytes) -> str:
    """The token for ``claim``; raises LinkError for an unknown action or a field outside [A-Za-z0-9_-]."""
    if claim.action not in ACTIONS:
        raise LinkError(f"unknown action {claim.action!r}")
    for name in (claim.incident, claim.person):
        if not _FIELD.match(name):
            raise LinkError(f"field {name!r} must match {_FIELD.pattern}")
    if len(secret) < 16:
        raise LinkError("link secret must be at least 16 bytes")
    body = f"{claim.action}.{claim.incident}.{claim.person}.{claim.expires_ms}"
    return f"{body}.{_sig(secret, body)}"


def verify(token: str, secret: bytes, now: int) -> LinkClaim:
    """The claim of a valid, unexpired token; raises LinkError otherwise."""
    parts = token.split(".")
    if len(parts) != 5:
        raise LinkError("malformed token")
    action, incident, person, exp, sig = parts
    body = f"{action}.{incident}.{person}.{exp}"
    if not hmac.compare_digest(sig, _sig(secret, body)):
        raise LinkError("bad signature")
    if action not in ACTIONS or not exp.isdigit():
        raise LinkError("malformed token")
    if now >= int(exp):
        raise LinkError("link expired")
    return LinkClaim(action, incident, person, int(exp))
