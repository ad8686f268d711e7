"""Errors of the wire contract.

ProtocolError
 ├── TopicError        a topic string that is not in the ShedWatch tree
 └── PayloadError      a payload that cannot be accepted; ``reason`` is a short,
                       stable code (for counters and dead letters) and ``detail``
                       names the exact field and cause.
"""


class ProtocolError(ValueError):
    """Base of every wire-contract error."""


class TopicError(ProtocolError):
    """A topic that does not parse as a ShedWatch topic."""


class PayloadError(ProtocolError):
    """A payload rejected by the contract, with a stable reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
