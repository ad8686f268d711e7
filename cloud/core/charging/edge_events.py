"""The edge's session events (docs/protocol.md: session_started, session_meter, session_ended) as machine events.

Pure. The edge meters each session itself (``energy_wh`` since the session started, its counter resets already
handled), so its readings are fed to ``decide`` as a counter that starts at 0 when the session starts: the cloud
bills exactly the energy the edge reports, split at tariff boundaries by the readings' times.

Times: the edge's ``ts`` unless it flagged its clock as suspect (then the cloud's arrival time), and always
after the session's previous reading: each stored event is applied once (``charging_seen``), so a reading
never has to be dropped as a replay because two arrived in the same millisecond.
"""

from collections.abc import Mapping
from typing import Any

from cloud.core.charging.machine import EdgeEnded, EdgeResult, Event, MeterReading
from cloud.core.charging.model import EndReason, Limit
from protocol.commands import LIMIT_S_MAX, LIMIT_WH_MAX

SESSION_EVENT_TYPES = ("session_started", "session_meter", "session_ended")

# The edge's end reasons (charging-protocol contract) -> the core's, and what the resident is told for each.
_EDGE_END: dict[str, tuple[EndReason, str]] = {
    "full": (EndReason.FULL, ""),
    "unplugged": (EndReason.UNPLUGGED, ""),
    "stopped": (EndReason.RESIDENT_STOP, ""),
    "limit_energy": (EndReason.ENERGY_LIMIT, ""),
    "limit_time": (EndReason.TIME_LIMIT, ""),
    "interlock": (EndReason.FAULT, "a safety interlock cut the power to the socket"),
    "fault": (EndReason.FAULT, "the socket faulted or lost supervision"),
    "removed": (EndReason.FAULT, "the shed's configuration no longer offers this socket for sessions"),
}


def wire_limit(limit: Limit) -> Limit:
    """The limit within what start_session carries (at most 20 kWh and 24 h): a large balance at a low price
    affords more energy than any e-bike battery takes, and the command would be refused."""
    max_wh = None if limit.max_wh is None else min(limit.max_wh, LIMIT_WH_MAX)
    max_s = None if limit.max_s is None else min(limit.max_s, LIMIT_S_MAX)
    return Limit(max_s=max_s, max_wh=max_wh)


class BadSessionEvent(ValueError):
    """A stored session event the cloud cannot apply (an unknown reason, a missing field); counted, skipped."""


def end_reason(edge_reason: str, stop_by: str | None) -> tuple[EndReason, str]:
    """The core's end reason and detail for the edge's; ``stop_by`` (resident | staff) decides a ``stopped``."""
    if edge_reason not in _EDGE_END:
        raise BadSessionEvent(f"unknown session end reason {edge_reason!r}")
    reason, detail = _EDGE_END[edge_reason]
    if edge_reason == "stopped" and stop_by != "resident":
        return EndReason.STAFF_STOP, "stopped by staff"
    return reason, detail


def reading_ts(body: Mapping[str, Any], received_ms: int, last_reading_ms: int | None) -> int:
    """When a reading was taken: the edge's ts (its arrival when the edge's clock was suspect), after the last."""
    ts = received_ms if body.get("clock_suspect") else int(body["ts"])
    return ts if last_reading_ms is None or ts > last_reading_ms else last_reading_ms + 1


def machine_events(
    kind: str, body: Mapping[str, Any], *, received_ms: int, last_reading_ms: int | None, stop_by: str | None
) -> list[Event]:
    """The events ``decide`` takes for one stored edge session event; raises BadSessionEvent.

    Apply them at ``now_ms`` = the event's ``reading_ts``: the session's limits are judged by when the edge
    measured, so events held in the edge's outbox through a cloud outage bill and end as they happened.
    """
    try:
        ts = reading_ts(body, received_ms, last_reading_ms)
        if kind == "session_started":
            return [EdgeResult(ok=True), MeterReading(ts, 0.0)]
        energy = float(body["energy_wh"])
        if kind == "session_meter":
            return [MeterReading(ts, energy)]
        if kind == "session_ended":
            reason, detail = end_reason(str(body["reason"]), stop_by)
            return [EdgeEnded(reason, detail, final=MeterReading(ts, energy))]
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, BadSessionEvent):
            raise
        raise BadSessionEvent(f"{kind}: {type(exc).__name__}: {exc}") from None
    raise BadSessionEvent(f"not a session event: {kind!r}")
