"""Cloud-to-edge commands: requests with an id, an expiry and the authorised actor."""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from protocol.config import ShedConfig
from protocol.envelope import Envelope, EpochMs, SocketNo
from protocol.ids import Id

Action = Literal["stop_socket", "start_socket", "reset_trip", "push_config"]


class Command(Envelope):
    """A request from the cloud (src: the cloud's id) to one shed's edge agent."""

    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    expires_at: EpochMs
    actor: Annotated[str, Field(min_length=1, max_length=64)]
    action: Action
    device: Id | None = None
    socket: SocketNo | None = None
    config: ShedConfig | None = None

    @model_validator(mode="after")
    def _targets(self) -> "Command":
        if self.action in ("stop_socket", "start_socket") and (self.device is None or self.socket is None):
            raise ValueError(f"{self.action} needs device and socket")
        if (self.device is None) != (self.socket is None):
            raise ValueError(f"{self.action}: device and socket go together (a socket is named by both)")
        if self.action == "push_config" and self.config is None:
            raise ValueError("push_config needs config")
        if self.action != "push_config" and self.config is not None:
            raise ValueError(f"{self.action} takes no config")
        return self

    def expired(self, now_ms: int) -> bool:
        """True when the command must no longer be carried out."""
        return now_ms >= self.expires_at
