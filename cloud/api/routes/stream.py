"""GET /api/v1/stream: the live stream as Server-Sent Events (sse-starlette), scoped to the caller.

Anonymous callers get ``availability`` only; staff get, for their communities, ``socket``, ``availability``,
``alarm`` and ``incident`` (as their role may read them); residents also their own ``session`` events. Every
frame has an ``id``; a reconnect with ``Last-Event-ID`` resumes from the process's ring (cloud.stream.ring),
or gets a ``reset`` frame. A ``ping`` frame every ``stream_ping_s`` (default 5 s; data: the server's time in
epoch ms) lets a page tell a dead stream from a calm shed.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from sse_starlette import EventSourceResponse

from cloud.api.deps import CloudDep
from cloud.api.errors_doc import errors
from cloud.api.principal import PrincipalDep
from cloud.core.access.roles import Principal
from cloud.stream.hub import Hub

router = APIRouter()
BURST = 64  # frames joined into one write when a client has several waiting
SEND_TIMEOUT_S = 30.0  # a write stuck this long (a peer that stopped reading) ends the stream

STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "text/event-stream: frames `id`, `event` (socket, availability, alarm, incident, session, "
        "ping, reset) and one JSON `data` line; see docs/api.md",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
}
STREAM_DOC.update(errors(e503="the stream is not running in this process"))


@router.get("/api/v1/stream", response_class=EventSourceResponse, responses=STREAM_DOC)
async def stream(
    cloud: CloudDep,
    caller: PrincipalDep,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> EventSourceResponse:
    """Live changes the caller may see, resumable with the standard ``Last-Event-ID`` header."""
    hub = cloud.stream
    if hub is None:
        raise HTTPException(status_code=503, detail="the live stream is not running")
    return EventSourceResponse(
        _frames(hub, caller, last_event_id, cloud.settings.stream_ping_s, cloud.clock.now_ms),
        ping=0,  # our own ping frames carry an id and the server time
        send_timeout=SEND_TIMEOUT_S,
    )


async def _frames(
    hub: Hub, caller: Principal | None, last_event_id: str | None, ping_s: float, now_ms: Callable[[], int]
) -> AsyncIterator[bytes]:
    # The client joins the hub when its stream starts, not when the route returns: a response that is never
    # streamed (HEAD, or a client gone before the first byte) must not leave a client behind.
    client, first = hub.connect(caller, last_event_id)
    try:
        if first:
            yield b"".join(first)
        while True:
            try:
                async with asyncio.timeout(ping_s):
                    event = await client.queue.get()
            except TimeoutError:
                yield hub.ping(client, now_ms())
                continue
            if event is None:
                return  # dropped as too slow: the client reconnects and resumes
            frames = [event.frame]
            client.last_n = event.n
            while len(frames) < BURST and not client.queue.empty():
                more = client.queue.get_nowait()
                if more is None:
                    yield b"".join(frames)
                    return
                frames.append(more.frame)
                client.last_n = more.n
            yield b"".join(frames)
    finally:
        hub.disconnect(client)
