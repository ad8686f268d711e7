"""Identifiers used in topics and payloads: one rule, checked in one place."""

import re
from typing import Annotated

from pydantic import StringConstraints

ID_MAX_LEN = 64
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # at most ID_MAX_LEN characters
_ID_RE = re.compile(ID_PATTERN)

# Ids are topic levels, so they must never contain '/', '+', '#' or spaces.
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


def is_valid_id(value: str) -> bool:
    """True when ``value`` can be a shed, device or source id."""
    return bool(_ID_RE.match(value))


# A charging session's id, chosen by the cloud: 1-64 characters of [A-Za-z0-9_-] (no dot: it is never a topic
# level, but it is a key in edge and cloud stores and in URLs, so it is kept to the URL-safe base64 alphabet).
SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
SessionId = Annotated[str, StringConstraints(pattern=SESSION_ID_PATTERN)]
