"""Conditional GET for cached public bodies (RFC 9110 8.8.3 ETag, 13.1.2 If-None-Match, RFC 9111 Cache-Control).

A resident's bot polling the availability every 15-60 s sends back the ETag it got; while nothing changed it
gets 304 with no body. ``Cache-Control: public, max-age=1`` lets a proxy or browser reuse an answer for a second,
no longer: the counts move with every plug and unplug.
"""

import hashlib

CACHE_CONTROL = "public, max-age=1"


def etag_of(body: bytes) -> str:
    """A strong ETag from the body's bytes (the same body gives the same tag in every API process)."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as the RFC asks for If-None-Match): ``*``, or a
    comma-separated list of tags, each maybe ``W/``-prefixed."""
    if if_none_match is None:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False
