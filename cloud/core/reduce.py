"""Turn one stored batch into live-state changes and domain events, in per-shed seq order (pure).

Inputs are taken per shed in (seq, rank) order: a birth or death carries the last seq the
edge had issued, so at an equal seq the stream message came first; heartbeats last. Stream
messages (events, results) count only when the store took them as new: a replay of a
(src, seq) the store already had, even with other content, changes nothing and says nothing.
"""

from collections.abc import Callable, Collection
from typing import Any

from cloud.core.batch import Batch
from cloud.core.events import (
    AnyEvent,
    CommandAnswered,
    EdgeAlarmCleared,
    EdgeAlarmRaised,
    InterlockActed,
)
from cloud.core.live import LiveState
from protocol.uplink import (
    AlarmCleared,
    AlarmRaised,
    CommandResult,
    EdgeHeartbeat,
    EdgeState,
    InterlockAction,
    SocketStatusChanged,
)

_STREAM, _STATE, _HEARTBEAT = 0, 1, 2


def ordered_inputs(batch: Batch) -> list[tuple[Any, int]]:
    """Every event, result, state and heartbeat of the batch as (message, received_ms), in apply order."""
    items: list[tuple[int, int, str, Any, int]] = []
    for m, rx in batch.events:
        items.append((m.seq, _STREAM, m.src, m, rx))
    for r, rx in batch.results:
        items.append((r.seq, _STREAM, r.src, r, rx))
    for s, rx in batch.states:
        items.append((s.seq, _STATE, s.src, s, rx))
    for h, rx in batch.heartbeats:
        items.append((h.seq, _HEARTBEAT, h.src, h, rx))
    items.sort(key=lambda i: (i[2], i[0], i[1]))
    return [(m, rx) for *_, m, rx in items]


def reduce_batch(live: LiveState, batch: Batch, new: Collection[tuple[str, int]] | None = None) -> list[AnyEvent]:
    """Apply the batch to ``live``; the domain events it caused, grouped by shed, each shed in order.

    ``new``: the (src, seq) of stream messages the store took as new; None takes them all.
    """
    is_new: Callable[[Any], bool] = (lambda _m: True) if new is None else (lambda m: (m.src, m.seq) in new)
    out: list[AnyEvent] = []
    for m, rx in ordered_inputs(batch):
        out += reduce_one(live, m, rx, is_new)
    return out


def reduce_one(live: LiveState, m: Any, rx: int, is_new: Callable[[Any], bool]) -> list[AnyEvent]:
    """One message's effect."""
    if isinstance(m, EdgeState):
        if m.state == "birth":
            return live.apply_birth(
                m.src,
                m.sockets,
                seq=m.seq,
                ts=m.ts,
                session=m.session,
                config_version=m.config_version,
                received_at=rx,
            )
        return live.apply_death(m.src, ts=m.ts, session=m.session, seq=m.seq, received_at=rx)
    if isinstance(m, EdgeHeartbeat):
        return live.apply_heartbeat(
            m.src, session=m.session, outbox_depth=m.outbox_depth, seq=m.seq, ts=m.ts, received_at=rx
        )
    if not is_new(m):
        return []
    base = {"shed": m.src, "seq": m.seq, "ts": m.ts, "received_at": rx}
    if isinstance(m, SocketStatusChanged):
        return live.apply_status(m.src, m.device, m.socket, m.status, seq=m.seq, ts=m.ts, received_at=rx)
    if isinstance(m, CommandResult):
        return [CommandAnswered(**base, request_id=m.request_id, status=m.status, detail=m.detail)]
    if isinstance(m, AlarmRaised | AlarmCleared):
        alarm: dict[str, Any] = {
            "alarm_id": m.alarm_id,
            "alarm_class": m.alarm_class,
            "alarm_type": m.alarm_type,
            "device": m.device,
            "socket": m.socket,
            "message": m.message,
        }
        if isinstance(m, AlarmCleared):
            return [EdgeAlarmCleared(**base, **alarm)]
        return [EdgeAlarmRaised(**base, **alarm, value=m.value, threshold=m.threshold)]
    if isinstance(m, InterlockAction):
        return [
            *_stop_of(live, m, rx),
            InterlockActed(
                **base,
                action=m.action,
                scope=m.scope,
                reason=m.reason,
                device=m.device,
                socket=m.socket,
                latched=m.latched,
                actor=m.actor,
            ),
        ]
    return []  # DeviceStatusChanged: stored, no live state of its own yet


# The interlock events that apply and lift an operator's stop of one socket (edge/commands.py); nothing else
# lifts one at the edge (a birth's snapshot restates it, cloud.core.live).
STOP_EVENTS: dict[tuple[str, str], bool] = {("cut", "operator_stop"): True, ("restore", "operator_start"): False}


def _stop_of(live: LiveState, m: InterlockAction, rx: int) -> list[AnyEvent]:
    """The stop an interlock event applies or lifts, one socket at a time (O(1) per event)."""
    stopped = STOP_EVENTS.get((m.action, m.reason))
    if stopped is None or m.scope != "socket" or m.device is None or m.socket is None:
        return []
    return live.apply_stop(
        m.src, m.device, m.socket, stopped, actor=m.actor if stopped else None, seq=m.seq, ts=m.ts, received_at=rx
    )
