"""The fields every ShedWatch message carries, and the base model all payloads share."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from protocol.ids import Id

# Any epoch ms a clock can read, 1970 and 2106 included: a Raspberry Pi boots in 1970 until NTP syncs, and a
# message stamped by a wrong clock still carries good readings. Whether a time is believable is the receiver's
# judgement (protocol.clock.plausible and the edge's clock rules), never a reason to refuse the message.
EPOCH_MS_MIN, EPOCH_MS_MAX = 0, 2**53 - 1
SOCKET_MIN, SOCKET_MAX = 1, 64
SEQ_MAX = 2**63 - 1  # a signed 64-bit column in every store
EpochMs = Annotated[int, Field(ge=EPOCH_MS_MIN, le=EPOCH_MS_MAX)]
SocketNo = Annotated[int, Field(ge=SOCKET_MIN, le=SOCKET_MAX)]


class Message(BaseModel):
    """Base of every payload: frozen, strict, no unknown fields, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class Envelope(Message):
    """Schema version, source id, per-source sequence number and source time (UTC ms)."""

    v: Literal[1] = 1  # SCHEMA_VERSION; bump both together
    src: Id
    seq: Annotated[int, Field(ge=0, le=SEQ_MAX)]
    ts: EpochMs

    @model_validator(mode="before")
    @classmethod
    def _version_on_the_wire(cls, data: Any, info: ValidationInfo) -> Any:
        # In code the version defaults; on the wire it must be stated, so a message
        # from a future (or a sloppy) sender is never silently read as version 1.
        if info.context and info.context.get("wire") and isinstance(data, dict) and "v" not in data:
            raise ValueError("field v: the schema version is required")
        return data
