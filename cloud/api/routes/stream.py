"""GET /api/v1/stream: the live stream as Server-Sent Events (sse-starlette), scoped to the caller.

Anonymous callers get ``availability`` only; staff get, for their communities, ``socket``, ``availability``,
``alarm`` and ``incident`` (as their role may read them); residents also their own ``session`` events. Every
frame has an ``id``; a reconnect with ``Last-Event-ID`` resumes from the process's ring (cloud.stream.ring),
or gets a ``reset`` frame. A ``ping`` frame every ``stream_ping_s`` (default 5 s; data: the server's time in
epoch ms) lets a page tell a dead stream from a calm shed.

A stream stays authorised while it is read: it ends with a final ``auth`` frame (``{"reason": ...}``) when the
credential it was opened with stops being accepted (its ``exp`` plus the tokens' leeway: a timer per client) or
when the account behind it is disabled, removed or changed (cloud.stream.recheck, every ``stream_recheck_s``).
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from sse_starlette import EventSourceResponse

from cloud.api.deps import CloudDep
from cloud.api.principal import Credential, CredentialDep
from cloud.api.responses import errors
from cloud.stream.frames import event_id, frame
from cloud.stream.hub import Hub
from cloud.stream.standing import Ended

router = APIRouter()
BURST = 64  # frames joined into one write when a client has several waiting
SEND_TIMEOUT_S = 30.0  # a write stuck this long (a peer that stopped reading) ends the stream

STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "text/event-stream: frames `id`, `event` (socket, availability, alarm, incident, session, "
        "ping, reset, auth) and one JSON `data` line; see docs/api.md",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
}
STREAM_DOC.update(errors(e503="the stream is not running in this process"))


@router.get("/api/v1/stream", response_class=EventSourceResponse, responses=STREAM_DOC)
async def stream(
    cloud: CloudDep,
    caller: CredentialDep,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> EventSourceResponse:
    """Live changes the caller may see, resumable with the standard ``Last-Event-ID`` header."""
    hub = cloud.stream
    if hub is None:
        raise HTTPException(status_code=503, detail="the live stream is not running")
    # Accepted until exp plus the leeway every route allows: a reconnect before then would be let in again.
    until_s = caller.expires_s + cloud.settings.token_codec().leeway_s if caller is not None else None
    return EventSourceResponse(
        _frames(hub, caller, until_s, last_event_id),
        ping=0,  # our own ping frames carry an id and the server time
        send_timeout=SEND_TIMEOUT_S,
    )


async def _frames(
    hub: Hub, caller: Credential | None, until_s: float | None, last_event_id: str | None
) -> AsyncIterator[bytes]:
    # The client joins the hub when its stream starts, not when the route returns: a response that is never
    # streamed (HEAD, or a client gone before the first byte) must not leave a client behind.
    client, first = hub.connect(caller.principal if caller is not None else None, last_event_id)
    expiry: asyncio.TimerHandle | None = None
    if until_s is not None:  # one timer per client, not a check per event: token times are wall-clock epoch s
        expiry = asyncio.get_running_loop().call_later(until_s - time.time(), hub.end, client, "expired")
    try:
        if first:
            yield b"".join(first)
        while True:
            item = await client.queue.get()
            frames: list[bytes] = []
            while True:
                if item is None:  # dropped as too slow: the client reconnects and resumes
                    if frames:
                        yield b"".join(frames)
                    return
                if isinstance(item, Ended):  # the credential no longer holds: say why, then end
                    frames.append(frame("auth", event_id(hub.epoch, client.last_n), {"reason": item.reason}))
                    yield b"".join(frames)
                    return
                if isinstance(item, int):  # a ping: the server time, with this client's resume point as id
                    frames.append(hub.ping(client, item))
                else:
                    frames.append(item.frame)
                    client.last_n = item.n
                if len(frames) >= BURST or client.queue.empty():
                    break
                item = client.queue.get_nowait()
            yield b"".join(frames)
    finally:
        if expiry is not None:
            expiry.cancel()
        hub.disconnect(client)
