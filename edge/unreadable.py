"""Which refused cloud message can still be answered: the id of a command that failed validation.

Every command gets a CommandResult: a command whose payload fails the contract (a pushed config whose
``max_session_s`` exceeds its ``forced_end_s``, an unknown action) is refused, and the cloud must learn
why rather than wait for an answer that never comes. It is answered ``rejected`` under its
``request_id`` whenever that field can be read (a retained config push under ``config-{version}``, the id
its accepted copy would carry, unless that version is not newer than the running one: the retained copy
of an old config is not a command). Pure: the adapter parses nothing else from the payload.
"""

import json
from dataclasses import dataclass
from typing import Any

from protocol.topics import Kind

_ID_MAX = 64  # CommandResult.request_id


@dataclass(frozen=True, slots=True)
class Unreadable:
    """The parts of a refused command an answer and the audit need; ``actor``/``action`` may be unknown."""

    request_id: str
    actor: str
    action: str


def answerable(kind: Kind, payload: bytes | str, running_version: int) -> Unreadable | None:
    """The refused command's identity when its id can be read; else None (nothing to answer under)."""
    try:
        body: Any = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    actor = _text(body.get("actor")) or "unknown"
    if kind == Kind.CLOUD_COMMAND:
        rid = body.get("request_id")
        if not isinstance(rid, str) or not 1 <= len(rid) <= _ID_MAX:
            return None  # no id the cloud would recognise: answering under a made-up one helps nobody
        return Unreadable(rid, actor, _text(body.get("action")) or "unknown")
    if kind == Kind.CLOUD_CONFIG:
        config = body.get("config")
        version = config.get("version") if isinstance(config, dict) else None
        if isinstance(version, int) and not isinstance(version, bool) and version > running_version:
            return Unreadable(f"config-{version}", actor, "push_config")
    return None


def _text(value: object) -> str | None:
    return value[:_ID_MAX] if isinstance(value, str) and value else None
