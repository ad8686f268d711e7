"""The charging-session state machine for authorised sheds: ``open_session`` and ``decide``.

Pure: ``decide(session, event, tariff=..., policy=..., now_ms=...) -> (session, actions)``. The holder
(the cloud's session service; the same rules suit the edge) persists the returned session and carries
out the actions. Replayed or late events are harmless: a reading not newer than the last is ignored,
and an ended session only answers a sign that the edge still runs it (a late "energised" confirmation or a
meter reading), with a cut.

    requested --edge ok--> active --full / unplugged / stop / limit / fault--> ended
        |--edge refused, stop, or no confirmation in time--> ended
"""

import math
from dataclasses import dataclass
from enum import StrEnum

from cloud.core.charging.model import EndReason, Limit, Session, SessionStatus, ShedMode, SocketRef
from cloud.core.charging.policy import SessionPolicy
from cloud.core.charging.wallet import WalletError, affordable_limit
from cloud.core.tariff.cost import cost
from cloud.core.tariff.metering import EnergyInterval
from cloud.core.tariff.model import Tariff
from protocol.uplink import SocketStatus

# --- events ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EdgeResult:
    """The edge answered the energise command: relay closed (ok) or refused (with the edge's error)."""

    ok: bool
    error: str = ""


@dataclass(frozen=True, slots=True)
class MeterReading:
    """The socket's cumulative energy counter (Wh) at ``ts_ms`` (the edge's timestamp)."""

    ts_ms: int
    counter_wh: float


@dataclass(frozen=True, slots=True)
class SocketSeen:
    """The socket's status as live state shows it."""

    status: SocketStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StopRequest:
    """The resident (or staff, ``by_staff``) asked to stop."""

    by_staff: bool = False


@dataclass(frozen=True, slots=True)
class EdgeEnded:
    """The edge ended the session itself (its ``session_ended`` event) and has already opened the relay.

    ``final``: the session's last reading, billed first; the edge's reason stands (no limit is checked on it).
    """

    reason: EndReason
    detail: str = ""
    final: MeterReading | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed (checks the confirmation timeout and the time limit)."""


Event = EdgeResult | EdgeEnded | MeterReading | SocketSeen | StopRequest | Tick

# --- actions ---------------------------------------------------------------------------------------------


class Notice(StrEnum):
    """What the resident is told (the notifier renders the text in their language)."""

    FINISHED = "finished"  # "charging finished, please move your bike"
    ENDED = "ended"  # a normal end: unplugged, stopped, limit reached (with the cost)
    STOPPED = "stopped"  # "your session stopped because ...": fault, refused, not confirmed, staff


@dataclass(frozen=True, slots=True)
class Energise:
    """Command the edge to close the socket's relay for this session, enforcing ``limit`` itself."""

    socket: SocketRef
    session_id: str
    limit: Limit
    expires_ms: int  # the edge ignores the command after this (a stale command never energises)


@dataclass(frozen=True, slots=True)
class Cut:
    """Command the edge to open the socket's relay; ``reason`` is a normal-stop reason, not a trip."""

    socket: SocketRef
    session_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Notify:
    """Tell the resident (channel of their choice and the open page)."""

    user_id: str
    session_id: str
    notice: Notice
    reason: EndReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Settle:
    """Debit the session's cost from the resident's wallet (``cloud.core.charging.wallet.settle``)."""

    user_id: str
    session_id: str
    cost_yuan: float


Action = Energise | Cut | Notify | Settle


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a session was not started: a stable ``code`` for the API, a sentence for people."""

    code: str
    message: str


# Relay-off reasons sent to the edge: normal stops, which never latch a trip.
_CUT_REASON = {
    EndReason.RESIDENT_STOP: "resident_stop",
    EndReason.STAFF_STOP: "operator_stop",
    EndReason.TIME_LIMIT: "session_end",
    EndReason.ENERGY_LIMIT: "session_end",
    EndReason.NOT_CONFIRMED: "session_end",
}
_NOTICE = {
    EndReason.FULL: Notice.FINISHED,
    EndReason.UNPLUGGED: Notice.ENDED,
    EndReason.RESIDENT_STOP: Notice.ENDED,
    EndReason.TIME_LIMIT: Notice.ENDED,
    EndReason.ENERGY_LIMIT: Notice.ENDED,
}
_STARTABLE = {SocketStatus.FREE, SocketStatus.PLUGGED}  # plug then scan, or scan then plug


def open_session(
    *,
    session_id: str,
    user_id: str,
    community: str,
    qr_id: str,
    socket: SocketRef,
    mode: ShedMode,
    socket_status: SocketStatus,
    socket_busy: bool,
    socket_stopped: bool = False,
    limit: Limit,
    balance_fen: int,
    tariff: Tariff,
    policy: SessionPolicy,
    now_ms: int,
) -> tuple[Session, list[Action]] | Refusal:
    """Start a session by QR id on an authorised shed, or say why not.

    ``socket_busy``: the socket already has an open session; ``socket_stopped``: staff switched it off
    (``stop_socket``): the edge would refuse it, so the resident hears why at once. The limit is capped by the wallet
    (``affordable_limit``). Returns the requested session and its Energise command.
    """
    if mode is not ShedMode.AUTHORISED:
        return Refusal("open_shed", "this shed charges on plug-in; no session is needed")
    if socket_busy:
        return Refusal("socket_busy", "this socket already has a session")
    if socket_stopped:
        return Refusal("socket_stopped", "this socket has been switched off by staff; try another")
    if socket_status not in _STARTABLE:
        return Refusal(f"socket_{socket_status.value}", f"this socket is {socket_status.value}")
    try:
        capped = affordable_limit(limit, balance_fen, tariff, policy)
    except WalletError as exc:
        return Refusal("insufficient_balance", str(exc))
    session = Session(session_id, user_id, community, qr_id, socket, capped, requested_ms=now_ms)
    expires = now_ms + int(policy.confirm_timeout_s * 1000)
    return session, [Energise(socket, session_id, capped, expires)]


def decide(
    session: Session, event: Event, *, tariff: Tariff, policy: SessionPolicy, now_ms: int
) -> tuple[Session, list[Action]]:
    """The session after ``event`` at ``now_ms``, and what to do about it."""
    if not session.open:
        # The edge says the session runs (energised, or metering: it resumed after a restart, or our stop
        # expired while it was offline) though the cloud ended it: cut it again. Idempotent at the edge; the
        # holder rate-limits repeats per session.
        if (isinstance(event, EdgeResult) and event.ok) or isinstance(event, MeterReading):
            return session, [Cut(session.socket, session.session_id, "session_end")]
        return session, []
    if isinstance(event, EdgeResult):
        if not event.ok:
            return _end(session, EndReason.REFUSED, now_ms, detail=event.error)
        if session.status is SessionStatus.REQUESTED:
            session = session.evolve(status=SessionStatus.ACTIVE, active_ms=now_ms)
    elif isinstance(event, EdgeEnded):
        if event.final is not None and session.status is SessionStatus.ACTIVE:
            session = _meter(session, event.final, tariff)
        return _end(session, event.reason, now_ms, detail=event.detail, cut=False)
    elif isinstance(event, StopRequest):
        return _end(session, EndReason.STAFF_STOP if event.by_staff else EndReason.RESIDENT_STOP, now_ms)
    elif isinstance(event, SocketSeen):
        ended = _ended_by_status(session, event)
        if ended is not None:
            return _end(session, ended, now_ms, detail=event.detail)
    elif isinstance(event, MeterReading) and session.status is SessionStatus.ACTIVE:
        session = _meter(session, event, tariff)
    return _limits(session, policy, now_ms)


def _ended_by_status(session: Session, event: SocketSeen) -> EndReason | None:
    if event.status is SocketStatus.FAULTED:
        return EndReason.FAULT
    if session.status is not SessionStatus.ACTIVE:
        return None  # before the relay closed, "free" and "plugged" are where a session starts
    if event.status is SocketStatus.FULL:
        return EndReason.FULL
    if event.status is SocketStatus.FREE:
        return EndReason.UNPLUGGED
    return None


def _meter(session: Session, reading: MeterReading, tariff: Tariff) -> Session:
    if not math.isfinite(reading.counter_wh) or reading.counter_wh < 0:
        return session  # an impossible reading: skipped, the next good one bills the energy
    if session.last_reading_ms is not None and reading.ts_ms <= session.last_reading_ms:
        return session  # a replay or an out-of-order duplicate
    if session.last_counter_wh is None or session.last_reading_ms is None:
        # The first reading after the relay closed is the baseline (the energy before it, at most one
        # sample interval, is not billed).
        return session.evolve(last_counter_wh=reading.counter_wh, last_reading_ms=reading.ts_ms)
    last = session.last_counter_wh
    delta = reading.counter_wh - last if reading.counter_wh >= last else reading.counter_wh  # post rebooted
    bill = cost([EnergyInterval(session.last_reading_ms, reading.ts_ms, delta)], tariff)
    by_period = dict(session.cost_by_period)
    for period, line in bill.lines.items():
        by_period[period] = by_period.get(period, 0.0) + line.yuan
    return session.evolve(
        energy_wh=session.energy_wh + delta,
        last_counter_wh=reading.counter_wh,
        last_reading_ms=reading.ts_ms,
        cost_yuan=session.cost_yuan + bill.yuan,
        cost_by_period=by_period,
    )


def _limits(session: Session, policy: SessionPolicy, now_ms: int) -> tuple[Session, list[Action]]:
    if session.status is SessionStatus.REQUESTED:
        if now_ms >= session.requested_ms + policy.confirm_timeout_s * 1000:
            return _end(session, EndReason.NOT_CONFIRMED, now_ms)
        return session, []
    limit = session.limit
    max_s = min(limit.max_s or math.inf, policy.max_session_s)
    if session.active_ms is not None and now_ms >= session.active_ms + max_s * 1000:
        return _end(session, EndReason.TIME_LIMIT, now_ms)
    if limit.max_wh is not None and session.energy_wh >= limit.max_wh:
        return _end(session, EndReason.ENERGY_LIMIT, now_ms)
    return session, []


def _end(
    session: Session, reason: EndReason, now_ms: int, *, detail: str = "", cut: bool = True
) -> tuple[Session, list[Action]]:
    ended = session.evolve(status=SessionStatus.ENDED, ended_ms=now_ms, end_reason=reason, end_detail=detail)
    actions: list[Action] = []
    if cut and reason in _CUT_REASON:  # an end the edge decided needs no cut: its relay is already open
        actions.append(Cut(session.socket, session.session_id, _CUT_REASON[reason]))
    actions.append(Notify(session.user_id, session.session_id, _NOTICE.get(reason, Notice.STOPPED), reason, detail))
    actions.append(Settle(session.user_id, session.session_id, ended.cost_yuan))
    return ended, actions
