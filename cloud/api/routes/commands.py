"""Remote commands to a shed's edge: send (202 with the request id) and read the edge's answer.

``POST /api/v1/sheds/{shed}/commands`` needs ``command.stop_socket``, ``command.start_socket``,
``command.reset_trip`` or ``command.push_config`` in the shed's community; ``GET .../commands/{request_id}``
needs ``inventory.read``.
The command is published by this process's CommandSender (cloud/commands); ingest writes the edge's answer onto
its audit row; a read settles a command whose answer can no longer come (timed out) or is known without one (a
pushed config version the edge's birth reports).
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import ValidationError

from cloud.api.deps import CloudDep, CloudState
from cloud.api.models_commands import CommandIn, CommandOut
from cloud.api.principal import PrincipalDep
from cloud.api.responses import STAFF_ERRORS
from cloud.api.scope import audited, in_shed
from cloud.commands.request import CommandRecord, build
from cloud.commands.sender import CommandSender, settle_due
from cloud.core.access.permissions import Action
from cloud.errors import CloudError
from protocol.ids import ID_PATTERN
from protocol.shedfile import first_error

router = APIRouter(tags=["staff: commands"], responses=STAFF_ERRORS)
ShedId = Annotated[str, Path(pattern=ID_PATTERN)]
PERMISSION = {
    "stop_socket": Action.COMMAND_STOP_SOCKET,
    "start_socket": Action.COMMAND_START_SOCKET,
    "reset_trip": Action.COMMAND_RESET_TRIP,
    "push_config": Action.COMMAND_PUSH_CONFIG,
}


def _sender(cloud: CloudState) -> CommandSender:
    if cloud.commands is None:
        raise HTTPException(503, "commands are off in this process, or its broker has not accepted it yet")
    return cloud.commands


def _record(cloud: CloudState, shed: str, request_id: str) -> CommandRecord:
    found = cloud.stores.state.command(shed, request_id)
    if found is None:
        raise HTTPException(404, f"no command {request_id} for {shed}")
    return found


def _send(cloud: CloudState, shed: str, body: CommandIn, actor: str) -> CommandRecord:
    sender = _sender(cloud)
    if body.action == "push_config":
        if body.device is not None or body.socket is not None:
            raise HTTPException(422, "push_config takes no device or socket")
        held = cloud.stores.state.newest_config(shed)
        if held is None:
            raise HTTPException(409, f"no config held for {shed}: import its inventory first")
        try:
            rid = sender.push_config(held, actor=actor)
        except CloudError as exc:
            raise HTTPException(503, str(exc)) from None
    else:
        try:  # refused before anything is sent or audited
            build(shed, body.action, request_id="check", actor=actor, now_ms=0, ttl_s=body.ttl_s,
                  device=body.device, socket=body.socket)  # fmt: skip
        except ValidationError as exc:
            raise HTTPException(422, first_error(exc)) from None
        try:
            cmd = sender.send(shed, body.action, actor=actor, ttl_s=body.ttl_s, device=body.device, socket=body.socket)
        except CloudError as exc:
            raise HTTPException(503, str(exc)) from None
        rid = cmd.request_id
    sender.forget(shed, rid)
    return _record(cloud, shed, rid)


@router.post("/api/v1/sheds/{shed}/commands", status_code=202)
def send_command(
    cloud: CloudDep, principal: PrincipalDep, request: Request, shed: ShedId, body: CommandIn
) -> CommandOut:
    """Send the command; 202 with its audit record (``status`` ``sent``): poll its ``request_id`` for the answer."""
    permission = PERMISSION[body.action]
    target = f"{shed}/{body.device}/{body.socket}" if body.device else shed
    user, community = in_shed(cloud, principal, permission, shed, target)
    send = lambda: _send(cloud, shed, body, user.user_id)  # noqa: E731
    record = audited(cloud, user, permission, target, body.action, send, community=community, request=request)
    return CommandOut.model_validate(record)


@router.get("/api/v1/sheds/{shed}/commands/{request_id}")
def command_result(
    cloud: CloudDep,
    principal: PrincipalDep,
    shed: ShedId,
    request_id: Annotated[str, Path(min_length=1, max_length=64)],
) -> CommandOut:
    """The command's record with the edge's answer once it came; 404 when the shed has no such command."""
    in_shed(cloud, principal, Action.INVENTORY_READ, shed)
    record = _record(cloud, shed, request_id)
    pushed = record.action == "push_config" and request_id.removeprefix("config-").isdigit()
    version = int(request_id.removeprefix("config-")) if pushed else 0
    if settle_due(cloud.stores.state, record, cloud.clock.now_ms(), config_version=version):
        record = _record(cloud, shed, request_id)
    return CommandOut.model_validate(record)
