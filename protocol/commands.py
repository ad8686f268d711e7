"""Cloud-to-edge commands: requests with an id, an expiry and the authorised actor."""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from protocol.config import ShedConfig
from protocol.envelope import Envelope, EpochMs, SocketNo
from protocol.ids import Id, SessionId

Action = Literal["stop_socket", "start_socket", "reset_trip", "push_config", "start_session", "stop_session"]

# Session limits: 20 kWh is far above any e-bike battery (48 V x 40 Ah = 1.9 kWh), 24 h the longest stay;
# anything larger is a typo, not a limit.
LIMIT_WH_MAX = 20_000.0
LIMIT_S_MAX = 86_400.0
LimitWh = Annotated[float, Field(gt=0, le=LIMIT_WH_MAX)]
LimitS = Annotated[float, Field(gt=0, le=LIMIT_S_MAX)]

_TARGETED = ("stop_socket", "start_socket", "start_session")
_SESSION = ("start_session", "stop_session")


class Command(Envelope):
    """A request from the cloud (src: the cloud's id) to one shed's edge agent.

    ``start_session`` needs ``device``, ``socket`` and ``session`` and may carry ``limit_wh`` (Wh, 0 < x ≤ 20000)
    and/or ``limit_s`` (seconds energised, 0 < x ≤ 86400); ``stop_session`` needs ``session`` (``device`` and
    ``socket`` optional). Only ``push_config`` takes ``config``; only the session actions take ``session``;
    only ``start_session`` takes limits. A rule broken raises ``ValueError`` (``invalid_value`` on the wire).
    """

    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    expires_at: EpochMs
    actor: Annotated[str, Field(min_length=1, max_length=64)]
    action: Action
    device: Id | None = None
    socket: SocketNo | None = None
    config: ShedConfig | None = None
    session: SessionId | None = None
    limit_wh: LimitWh | None = None
    limit_s: LimitS | None = None

    @model_validator(mode="after")
    def _targets(self) -> "Command":
        if self.action in _TARGETED and (self.device is None or self.socket is None):
            raise ValueError(f"{self.action} needs device and socket")
        if (self.device is None) != (self.socket is None):
            raise ValueError(f"{self.action}: device and socket go together (a socket is named by both)")
        if self.action == "push_config" and self.config is None:
            raise ValueError("push_config needs config")
        if self.action != "push_config" and self.config is not None:
            raise ValueError(f"{self.action} takes no config")
        if self.action in _SESSION and self.session is None:
            raise ValueError(f"{self.action} needs session")
        if self.action not in _SESSION and self.session is not None:
            raise ValueError(f"{self.action} takes no session")
        if self.action != "start_session" and (self.limit_wh is not None or self.limit_s is not None):
            raise ValueError(f"{self.action} takes no limit_wh or limit_s")
        return self

    def expired(self, now_ms: int) -> bool:
        """True when the command must no longer be carried out."""
        return now_ms >= self.expires_at
