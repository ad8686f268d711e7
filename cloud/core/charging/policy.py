"""The numbers a charging session is held to (settings per community; defaults below and in docs/accounts.md)."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """Session and wallet limits.

    ``max_session_s``: longest session, the timed-charging limit (12 h, the common post default).
    ``confirm_timeout_s``: how long the edge may take to confirm it energised the socket before the
    session ends and a cut is sent (covers the edge's relay confirm and retries plus a slow uplink).
    ``min_balance_fen``: the least balance that starts a session (1 yuan: about an hour of e-bike charging).
    ``max_credit_fen``: the most one staff credit may add (1,000 yuan), to catch a typed extra zero.
    """

    max_session_s: float = 12 * 3600.0
    confirm_timeout_s: float = 60.0
    min_balance_fen: int = 100
    max_credit_fen: int = 100_000
