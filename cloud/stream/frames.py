"""One stream event, encoded once as its Server-Sent Events frame (pure).

Ids are ``EPOCH-N``: EPOCH is the producing process's start (epoch ms), N counts 1, 2, 3, ... in that
process. A ``Last-Event-ID`` of another epoch (another process or replica, or one before a restart) cannot be
resumed from this process's ring, so it gets a ``reset`` (see cloud.stream.ring).
"""

from dataclasses import dataclass
from typing import Any, Literal

import orjson

EventType = Literal["socket", "socket_stop", "availability", "alarm", "incident", "session"]
EVENT_TYPES: tuple[EventType, ...] = ("socket", "socket_stop", "availability", "alarm", "incident", "session")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An event before it has an id: its type, the community it belongs to, its owner (``session`` events:
    the resident's user id) and its JSON data."""

    type: EventType
    community: str
    data: dict[str, Any]
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """An event with its place in this process's stream and its encoded frame (UTF-8 bytes)."""

    n: int
    type: EventType
    community: str
    owner: str | None
    frame: bytes


def event_id(epoch: int, n: int) -> str:
    """The SSE id of the n-th event of the process started at ``epoch`` (ms)."""
    return f"{epoch}-{n}"


def parse_event_id(value: str) -> tuple[int, int] | None:
    """(epoch, n) of a ``Last-Event-ID``; None when it is not one of ours."""
    epoch, sep, n = value.strip().partition("-")
    if not sep or not epoch.isdigit() or not n.isdigit() or len(value) > 40:
        return None
    return int(epoch), int(n)


def frame(event: str, ident: str, data: dict[str, Any] | bytes) -> bytes:
    """``id``, ``event`` and one ``data`` line (compact JSON has no newline), ended by a blank line."""
    body = data if isinstance(data, bytes) else orjson.dumps(data)
    return b"id: " + ident.encode() + b"\nevent: " + event.encode() + b"\ndata: " + body + b"\n\n"


def encode(epoch: int, n: int, out: Outgoing) -> StreamEvent:
    """Give ``out`` its id and frame."""
    return StreamEvent(n, out.type, out.community, out.owner, frame(out.type, event_id(epoch, n), out.data))
