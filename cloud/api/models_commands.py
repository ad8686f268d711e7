"""Models of the remote-command routes (OCPP's request / result model: a request id, an expiry, an answer)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from protocol.envelope import SocketNo
from protocol.ids import Id

StaffCommand = Literal["stop_socket", "start_socket", "reset_trip", "push_config"]


class CommandIn(BaseModel):
    """A command to the shed's edge.

    ``stop_socket`` and ``start_socket`` (lifting an operator's stop) need ``device`` and ``socket``;
    ``reset_trip`` takes both (one socket's trip) or neither (the shed's); ``push_config`` takes neither and
    pushes the newest config the cloud holds for the shed.
    ``ttl_s``: the edge carries the command out only within this many seconds (answers ``expired`` after).
    """

    action: StaffCommand
    device: Id | None = None
    socket: SocketNo | None = None
    ttl_s: Annotated[float, Field(ge=1, le=300)] = 30.0


class CommandOut(BaseModel):
    """A command's audit record. ``status``: ``sent`` until the edge answers ``applied``, ``rejected``,
    ``expired`` or ``failed``; ``timed_out`` when no answer came by the expiry plus 2 s. Times epoch ms."""

    model_config = ConfigDict(from_attributes=True)

    request_id: str
    shed: str
    action: str
    actor: str
    target: str
    issued_ms: int
    expires_ms: int
    status: Literal["sent", "applied", "rejected", "expired", "failed", "timed_out"]
    detail: str
    answered_ms: int | None
