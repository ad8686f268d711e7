"""The audit log line of a staff action taken on the command line, as the API writes one for its routes.

The API records every action in ``audit_log`` (outcome ``ok``, or ``failed`` with the reason it answered);
the command line acts on the same store, so it records the same line: actor the ``--by`` person, no role
(the command line has no login), address ``cli``.
"""

from collections.abc import Callable
from typing import TypeVar

from cloud.alarms.actions import ActionRefused
from cloud.state import audit_rows
from cloud.state.store import StateStore

T = TypeVar("T")


def audited_cli(
    store: StateStore, now: int, who: str, action: str, target: str, community: str | None, detail: str,
    act: Callable[[], T],
) -> T:  # fmt: skip
    """Run ``act`` and record it (``ok``), or record its refusal (``failed``, ``DETAIL: REASON``) and re-raise."""

    def record(outcome: str, text: str) -> None:
        entry = audit_rows.AuditEntry(now, who, "", action, target, community, outcome, text, "cli")
        with store.engine.begin() as conn:
            audit_rows.append(conn, entry)

    try:
        result = act()
    except ActionRefused as exc:
        record("failed", f"{detail}: {exc}")
        raise
    record("ok", detail)
    return result
