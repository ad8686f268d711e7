"""Build a cloud command and decide its outcome (pure: the clock and the request id are passed in).

A command is a request (OCPP's RemoteStopTransaction / UnlockConnector model): a request
id, an expiry and the authorised actor; the edge answers with a CommandResult carrying the
same id, or carries nothing out once the expiry has passed (it answers "expired").
"""

from dataclasses import dataclass
from typing import Literal

from protocol.commands import Action, Command
from protocol.config import ShedConfig

CLOUD_SRC = "cloud"  # the src of every cloud-to-edge message
Outcome = Literal["sent", "applied", "rejected", "expired", "failed", "timed_out"]
FINAL: frozenset[str] = frozenset({"applied", "rejected", "expired", "failed", "timed_out"})


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A command as audited in the state store (times in epoch ms)."""

    request_id: str
    shed: str
    action: str
    actor: str
    target: str
    issued_ms: int
    expires_ms: int
    status: str
    detail: str
    answered_ms: int | None


def build(
    shed: str,
    action: Action,
    *,
    request_id: str,
    actor: str,
    now_ms: int,
    ttl_s: float,
    device: str | None = None,
    socket: int | None = None,
    config: ShedConfig | None = None,
    session: str | None = None,
    limit_wh: float | None = None,
    limit_s: float | None = None,
) -> Command:
    """The command message; raises pydantic.ValidationError when its targets do not fit the action."""
    return Command(
        src=CLOUD_SRC,
        seq=0,
        ts=now_ms,
        request_id=request_id,
        expires_at=now_ms + int(ttl_s * 1000),
        actor=actor,
        action=action,
        device=device,
        socket=socket,
        config=config,
        session=session,
        limit_wh=limit_wh,
        limit_s=limit_s,
    )


def target_of(cmd: Command) -> str:
    """What the command acts on, for the audit: 'post-1/3', 'post-1/3 session S', 'config v4' or 'shed'."""
    if cmd.session is not None:
        where = f"{cmd.device}/{cmd.socket} " if cmd.device is not None else ""
        return f"{where}session {cmd.session}"
    if cmd.device is not None:
        return f"{cmd.device}/{cmd.socket}" if cmd.socket is not None else cmd.device
    if cmd.config is not None:
        return f"config v{cmd.config.version}"
    return "shed"


def timed_out(record: CommandRecord, now_ms: int, grace_ms: int) -> bool:
    """True when no answer came and the expiry plus a grace for the answer's trip has passed."""
    return record.status == "sent" and now_ms >= record.expires_ms + grace_ms
