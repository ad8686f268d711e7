"""GET /api/v1/sheds/{shed}/sockets/{device}/{socket}: one socket's live state."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from cloud.api.deps import LiveDep
from cloud.api.models import SocketLiveResponse
from cloud.api.responses import errors
from protocol.ids import ID_PATTERN

router = APIRouter()


@router.get(
    "/api/v1/sheds/{shed}/sockets/{device}/{socket}", responses=errors(e404="the cloud never heard of this socket")
)
async def socket_live(
    live: LiveDep,
    shed: Annotated[str, Path(pattern=ID_PATTERN)],
    device: Annotated[str, Path(pattern=ID_PATTERN)],
    socket: Annotated[int, Path(ge=1, le=64)],
) -> SocketLiveResponse:
    """The socket's status as the edge last reported it; 404 when the cloud never heard of it."""
    # async: an in-memory read under a short lock, so it runs on the event loop rather than a worker thread.
    found = live.socket(shed, device, socket)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no live state for {shed}/{device}/{socket}")
    state, online = found
    return SocketLiveResponse.of(shed, device, socket, state, online)
