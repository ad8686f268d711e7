"""The session service: starts and stops sessions, applies the edge's session events, bills, debits, notifies.

Every change to a session is one transaction: load the session (locked), let the pure core decide
(``cloud.core.charging.machine.decide``), store the new session, debit the wallet once (``Settle``; the ledger is
unique per session) and queue the resident's notices in the alert outbox (unique per session and step), then
after the commit send the cuts the core asked for (``stop_session``) and publish ``SessionChanged`` on the bus.

Edge session events are read from the state store (ingest stores them like every edge event) and applied exactly
once each (``charging_seen``), in per-shed seq order, so a replay or a restart never bills or debits twice.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from cloud.alarms.repo import AlarmRepo
from cloud.bus.local import Bus
from cloud.charging.repo import ChargingRepo, SessionRow, StoredSessionEvent
from cloud.commands.request import CommandRecord
from cloud.core.charging.edge_events import (
    SESSION_EVENT_TYPES,
    BadSessionEvent,
    machine_events,
    reading_ts,
    wire_limit,
)
from cloud.core.charging.machine import (
    Action,
    Cut,
    EdgeResult,
    Event,
    Notice,
    Notify,
    Refusal,
    Settle,
    StopRequest,
    Tick,
    decide,
    open_session,
)
from cloud.core.charging.model import Limit, Session, SessionStatus, ShedMode, SocketRef
from cloud.core.charging.notices import ReminderPolicy, opted_in, reminders_due, session_text
from cloud.core.charging.policy import SessionPolicy
from cloud.core.events import SessionChanged
from cloud.core.tariff.cost import to_fen
from cloud.errors import CloudError
from cloud.state.store import StateStore
from protocol.clock import Clock
from protocol.commands import Action as CommandAction
from protocol.commands import Command
from protocol.uplink import SocketStatus

log = logging.getLogger(__name__)
EVENTS_PER_PASS = 500
WATERMARK_SLACK_MS = 10 * 60_000  # an event stored this long after a later-arriving one is still found
RECUT_MEMORY = 10_000  # sessions whose last cut time is kept
FULL_SCAN_EVERY = 300  # passes between looks at every arrival (about 5 minutes at the default 1 s tick)


class ChargingRefused(Exception):
    """A session the cloud will not start (or stop): a stable ``code``, a sentence, and the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Sender(Protocol):
    """What the service needs of cloud.commands.sender.CommandSender."""

    def send(
        self,
        shed: str,
        action: CommandAction,
        *,
        actor: str,
        ttl_s: float = 30.0,
        device: str | None = None,
        socket: int | None = None,
        session: str | None = None,
        limit_wh: float | None = None,
        limit_s: float | None = None,
    ) -> Command: ...

    def wait(self, shed: str, request_id: str, timeout_s: float, *, config_version: int = 0) -> CommandRecord: ...


class SocketStates(Protocol):
    """What the service needs of the live view: a socket's status and whether its edge is online."""

    def socket(self, shed: str, device: str, socket: int) -> tuple[object, bool] | None: ...


@dataclass(frozen=True, slots=True)
class ChargingOptions:
    """Settings of the session service (CloudSettings ``charging_*``)."""

    policy: SessionPolicy = field(default_factory=SessionPolicy)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    command_timeout_s: float = 10.0  # how long a start or stop waits for the edge's answer
    edge_grace_s: float = 300.0  # past a session's time limit, how long the cloud waits for the edge's end
    recut_every_s: float = 20.0  # at most one cut per session in this long (monotonic): an edge still reporting
    # a session the cloud ended is cut again, not flooded (it meters every 60 s)


@dataclass
class ChargingStats:
    """Counters an operator sees."""

    applied_events: int = 0
    bad_events: int = 0
    unknown_sessions: int = 0
    notices_queued: int = 0
    cuts_sent: int = 0
    cut_failures: int = 0
    cuts_suppressed: int = 0  # repeated cuts of one session within ``recut_every_s``, not sent


class ChargingService:
    """Sessions of every authorised shed; thread-safe (the store serialises writers)."""

    def __init__(
        self,
        store: StateStore,
        clock: Clock,
        *,
        live: SocketStates,
        sender: Callable[[], Sender | None],
        bus: Bus | None = None,
        options: ChargingOptions | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.live = live
        self._sender = sender
        self.bus = bus
        self.options = options or ChargingOptions()
        self.stats = ChargingStats()
        self._watermark_ms = 0  # arrival time before which every session event has been applied (with slack)
        self._passes = 0
        self._last_cut: dict[str, int] = {}  # session id -> monotonic ms of its last cut

    @property
    def sender(self) -> Sender | None:
        """The process's command sender once its broker accepted it (the API's, shared with staff commands)."""
        return self._sender()

    # -- start ----------------------------------------------------------------------------------

    def locate(self, qr: str) -> tuple[SocketRef, str]:
        """The socket a QR id names and its shed's community; ChargingRefused 404 ``unknown_qr``."""
        with self.store.engine.connect() as conn:
            ref = ChargingRepo(conn, sqlite=self.store.is_sqlite).resolve_qr(qr)
        if ref is None:
            raise ChargingRefused("unknown_qr", f"no socket has QR id {qr!r}", 404)
        community = self.store.communities().get(ref.shed, "")
        return ref, community

    def start(self, *, user_id: str, qr: str, ref: SocketRef, community: str, limit: Limit) -> SessionRow:
        """Start a session and wait (``command_timeout_s``) for the edge; the session as it then stands.

        Raises ChargingRefused: ``open_shed``, ``edge_offline``, ``socket_unknown``, ``socket_busy``,
        ``socket_stopped``, ``socket_<status>``, ``insufficient_balance`` (402), ``no_tariff``, ``unreachable`` (503).
        """
        config = self.store.newest_config(ref.shed)
        mode = ShedMode(getattr(config, "mode", "open")) if config is not None else ShedMode.OPEN
        if mode is not ShedMode.AUTHORISED:
            raise ChargingRefused("open_shed", "this shed charges on plug-in; no session is needed")
        found = self.live.socket(ref.shed, ref.device, ref.socket)
        if found is None:
            raise ChargingRefused("socket_unknown", "the cloud has not heard from this socket yet")
        if not found[1]:
            raise ChargingRefused("edge_offline", "the shed's controller is offline; try again later", 503)
        status = getattr(found[0], "status", SocketStatus.FREE)
        stopped = getattr(found[0], "stop", None) is not None  # an operator's stop_socket (cloud.core.live)
        sender = self.sender
        if sender is None:
            raise ChargingRefused("unreachable", "the cloud cannot reach the sheds now", 503)
        now = self.clock.now_ms()
        session_id = f"s-{uuid.uuid4().hex[:20]}"
        with self.store.engine.begin() as conn:
            repo = ChargingRepo(conn, sqlite=self.store.is_sqlite)
            tariff = repo.latest_tariff(community)
            if tariff is None:
                raise ChargingRefused("no_tariff", f"community {community!r} has no tariff yet")
            wallet = repo.wallet(user_id)
            opened = open_session(
                session_id=session_id,
                user_id=user_id,
                community=community,
                qr_id=qr,
                socket=ref,
                mode=mode,
                socket_status=SocketStatus(status),
                socket_busy=repo.open_session_on(ref) is not None,
                socket_stopped=stopped,
                limit=limit,
                balance_fen=wallet.balance_fen if wallet else 0,
                tariff=tariff[1],
                policy=self.options.policy,
                now_ms=now,
            )
            if isinstance(opened, Refusal):
                code = 402 if opened.code == "insufficient_balance" else 409
                raise ChargingRefused(opened.code, opened.message, code)
            session = opened[0]
            session = session.evolve(limit=wire_limit(session.limit))
            try:
                repo.insert_session(session, tariff_version=tariff[0], now_ms=now)
            except IntegrityError:  # another resident's session on this socket won the race
                raise ChargingRefused("socket_busy", "this socket already has a session") from None
        self._publish([session])
        try:
            cmd = sender.send(
                ref.shed,
                "start_session",
                actor=user_id[:64],
                ttl_s=self.options.policy.confirm_timeout_s,
                device=ref.device,
                socket=ref.socket,
                session=session_id,
                limit_wh=session.limit.max_wh,
                limit_s=session.limit.max_s,
            )
        except CloudError as exc:  # the broker is down: nothing was energised, nothing is billed
            self.apply(session_id, [EdgeResult(ok=False, error=f"the cloud could not reach the shed: {exc}")])
            raise ChargingRefused("unreachable", "the cloud cannot reach the shed now; try again later", 503) from None
        record = sender.wait(ref.shed, cmd.request_id, self.options.command_timeout_s)
        if record.status == "applied":
            return self.apply(session_id, [EdgeResult(ok=True)])
        if record.status in ("rejected", "expired", "failed"):
            return self.apply(session_id, [EdgeResult(ok=False, error=record.detail or record.status)])
        # timed out: the session stays requested; the edge's session_started or the confirmation timeout decides
        return self._row(session_id)

    # -- stop -----------------------------------------------------------------------------------

    def stop(self, session_id: str, *, by_staff: bool, actor: str) -> SessionRow:
        """Ask the edge to stop a session (idempotent: an ended one is returned as it is).

        The edge's ``session_ended`` (reason ``stopped``) ends it with the final energy. When the edge cannot
        be told (no answer, refused), the cloud ends it itself and sends the cut again.
        """
        row = self._row(session_id)
        if not row.session.open:
            return row
        with self.store.engine.begin() as conn:
            repo = ChargingRepo(conn, sqlite=self.store.is_sqlite)
            locked = repo.session(session_id, lock=True)
            if locked is not None and locked.session.open:
                repo.save_session(
                    locked.session, now_ms=self.clock.now_ms(), stop_by="staff" if by_staff else "resident"
                )
        ref = row.session.socket
        sender = self.sender
        if row.session.status is SessionStatus.ACTIVE and sender is not None:
            try:
                cmd = self._send_stop(sender, ref, session_id, actor)
            except CloudError as exc:
                log.warning("stop of session %s not sent: %s; the cloud ends it", session_id, exc)
            else:
                record = sender.wait(ref.shed, cmd.request_id, self.options.command_timeout_s)
                if record.status == "applied":
                    return self._row(session_id)
        return self.apply(session_id, [StopRequest(by_staff=by_staff)])

    # -- applying events ------------------------------------------------------------------------

    def apply(self, session_id: str, events: Sequence[Event]) -> SessionRow:
        """Apply events to one session now (one transaction), then send its cuts and publish it."""
        with self.store.engine.begin() as conn:
            repo = ChargingRepo(conn, sqlite=self.store.is_sqlite)
            row = repo.session(session_id, lock=True)
            if row is None:
                raise ChargingRefused("unknown_session", f"no session {session_id}", 404)
            after, actions = self._decide(repo, row, events, self.clock.now_ms())
        self._after(after, actions)
        return self._row(session_id)

    def _decide(
        self, repo: ChargingRepo, row: SessionRow, events: Sequence[Event], at: int
    ) -> tuple[Session, list[Action]]:
        """``at``: when the events happened (the edge's reading time for edge events); rows, debits and notices
        are stamped with the cloud's clock (a notice is due now, whatever the edge's clock says)."""
        now = self.clock.now_ms()
        tariff = repo.tariff(row.session.community, row.tariff_version)
        session = row.session
        actions: list[Action] = []
        for event in events:
            session, more = decide(session, event, tariff=tariff, policy=self.options.policy, now_ms=at)
            actions += more
        extra: dict[str, object] = {}
        for action in actions:
            if isinstance(action, Settle):
                settled = repo.debit_session(session, now_ms=now)
                if settled is not None:
                    extra |= {"charged_fen": settled.charged_fen, "unpaid_fen": settled.unpaid_fen}
            elif isinstance(action, Notify):
                self._queue_notice(repo, session, action.notice, step=action.notice.value, now=now)
        repo.save_session(session, now_ms=now, **extra)
        return session, actions

    def _queue_notice(self, repo: ChargingRepo, session: Session, notice: Notice | str, *, step: str, now: int) -> None:
        settings = repo.notify_settings(session.user_id)
        kind = Notice.FINISHED if notice == "reminder" else Notice(notice)
        if not settings.channel or not opted_in(kind, finished=settings.finished, stopped=settings.stopped):
            return
        text = session_text(session, notice, cost_fen=to_fen(session.cost_yuan))
        alarms = AlarmRepo(repo.conn, sqlite=repo.sqlite)
        if alarms.enqueue(
            incident=session.session_id,
            step=step,
            person=session.user_id[:64],
            target=settings.channel,
            title=text.title,
            body=text.body,
            now=now,
        ):
            self.stats.notices_queued += 1

    def _after(self, session: Session, actions: Sequence[Action]) -> None:
        for cut in dict.fromkeys(a for a in actions if isinstance(a, Cut)):  # one per session and reason
            self._cut(cut)
        self._publish([session])

    def _cut(self, cut: Cut) -> None:
        """Tell the edge to stop the session (fire and forget: the edge's own limits still hold).

        At most one cut per session each ``recut_every_s`` (monotonic): an edge that keeps reporting a session
        the cloud ended (its meter every 60 s, a replayed outbox) is cut again, not flooded.
        """
        sender = self.sender
        if sender is None:
            self.stats.cut_failures += 1
            return
        mono = self.clock.mono_ms()
        last = self._last_cut.get(cut.session_id)
        if last is not None and mono - last < self.options.recut_every_s * 1000:
            self.stats.cuts_suppressed += 1
            return
        if len(self._last_cut) >= RECUT_MEMORY:
            self._last_cut.clear()  # bounded: forgetting only allows one extra (harmless) cut
        self._last_cut[cut.session_id] = mono
        try:
            self._send_stop(sender, cut.socket, cut.session_id, "cloud")
            self.stats.cuts_sent += 1
        except Exception:
            self.stats.cut_failures += 1
            log.exception("sending the cut of session %s failed", cut.session_id)

    def _send_stop(self, sender: Sender, ref: SocketRef, session_id: str, actor: str) -> Command:
        # A stop only ever removes power, from one session named by id: it stays valid as long as a session can
        # last, so an edge offline when it was sent still takes it when it comes back (QoS 1, persistent session).
        return sender.send(
            ref.shed,
            "stop_session",
            actor=actor[:64],
            ttl_s=max(self.options.policy.max_session_s, self.options.policy.confirm_timeout_s),
            device=ref.device,
            socket=ref.socket,
            session=session_id,
        )

    def _publish(self, sessions: Sequence[Session]) -> None:
        if self.bus is None:
            return
        now = self.clock.now_ms()
        out = []
        for s in sessions:
            out.append(
                SessionChanged(
                    shed=s.socket.shed,
                    seq=0,
                    ts=now,
                    received_at=now,
                    session_id=s.session_id,
                    user_id=s.user_id,
                    device=s.socket.device,
                    socket=s.socket.socket,
                    status=s.status.value,
                    energy_wh=s.energy_wh,
                    cost_yuan=s.cost_yuan,
                    end_reason=s.end_reason.value if s.end_reason else None,
                )
            )
        self.bus.publish(out)

    def _row(self, session_id: str) -> SessionRow:
        with self.store.engine.connect() as conn:
            row = ChargingRepo(conn, sqlite=self.store.is_sqlite).session(session_id)
        if row is None:
            raise ChargingRefused("unknown_session", f"no session {session_id}", 404)
        return row

    def apply_edge_events(self) -> int:
        """Apply every stored edge session event not yet applied, each exactly once; how many.

        Looks only at arrivals since a watermark (the newest applied arrival less ``WATERMARK_SLACK_MS``), and
        at every arrival each ``FULL_SCAN_EVERY`` passes, so a late commit is never missed.
        """
        self._passes += 1
        if self._passes % FULL_SCAN_EVERY == 0:
            self._watermark_ms = 0
        done = 0
        while True:
            with self.store.engine.connect() as conn:
                repo = ChargingRepo(conn, sqlite=self.store.is_sqlite)
                batch = repo.unapplied_session_events(SESSION_EVENT_TYPES, EVENTS_PER_PASS, self._watermark_ms)
            for stored in batch:
                self._apply_stored(stored)
                self._watermark_ms = max(self._watermark_ms, stored.received_ms - WATERMARK_SLACK_MS)
                done += 1
            if len(batch) < EVENTS_PER_PASS:
                return done

    def _apply_stored(self, stored: StoredSessionEvent) -> None:
        outcome: tuple[Session, list[Action]] | None = None
        try:
            with self.store.engine.begin() as conn:
                repo = ChargingRepo(conn, sqlite=self.store.is_sqlite)
                repo.mark_applied(stored.src, stored.seq)  # first: a second applier conflicts here
                row = repo.session(str(stored.body.get("session", "")), lock=True)
                if row is None:
                    self.stats.unknown_sessions += 1
                    log.warning("edge %s reported session %s the cloud never started", stored.src, stored.body)
                    return
                last = row.session.last_reading_ms
                try:
                    at = reading_ts(stored.body, stored.received_ms, last)
                    events = machine_events(
                        stored.type,
                        stored.body,
                        received_ms=stored.received_ms,
                        last_reading_ms=last,
                        stop_by=row.stop_by,
                    )
                except (BadSessionEvent, KeyError, TypeError, ValueError) as exc:
                    self.stats.bad_events += 1
                    log.warning("session event %s/%s skipped: %s", stored.src, stored.seq, exc)
                    return
                outcome = self._decide(repo, row, events, at)
        except IntegrityError:
            return  # another process applied it first
        self.stats.applied_events += 1
        if outcome is not None:
            self._after(*outcome)

    # -- timers ---------------------------------------------------------------------------------

    def tick(self) -> None:
        """Confirmation timeouts, time limits the edge has not reported in time, and bike reminders."""
        now = self.clock.now_ms()
        with self.store.engine.connect() as conn:
            repo = ChargingRepo(conn, sqlite=self.store.is_sqlite)
            open_rows = repo.open_sessions()
            reminder = self.options.reminders
            window = int((reminder.reminders + 1) * reminder.reminder_s * 1000)
            full_rows = repo.ended_full_to_remind(reminder.reminders, now - window)
        grace = self.options.edge_grace_s * 1000
        confirm_ms = self.options.policy.confirm_timeout_s * 1000
        for row in open_rows:
            s = row.session
            limit_s = min(s.limit.max_s or self.options.policy.max_session_s, self.options.policy.max_session_s)
            overdue = s.active_ms is not None and now >= s.active_ms + limit_s * 1000 + grace
            unconfirmed = s.status is SessionStatus.REQUESTED and now >= s.requested_ms + confirm_ms
            if unconfirmed or overdue:  # only then: a tick that changes nothing would still write and publish
                self.apply(s.session_id, [Tick()])
        for row in full_rows:
            self._remind(row, now)

    def _remind(self, row: SessionRow, now: int) -> None:
        s = row.session
        if s.ended_ms is None:
            return
        due = reminders_due(s.ended_ms, row.reminders, now, self.options.reminders)
        if due <= row.reminders:
            return
        found = self.live.socket(s.socket.shed, s.socket.device, s.socket.socket)
        still_there = found is not None and getattr(found[0], "status", None) in (
            SocketStatus.FULL,
            SocketStatus.PLUGGED,
        )
        if not still_there:
            return  # taken away: no reminder (the session leaves the reminder window within the hour)
        with self.store.engine.begin() as conn:
            repo = ChargingRepo(conn, sqlite=self.store.is_sqlite)
            for n in range(row.reminders + 1, due + 1):
                self._queue_notice(repo, s, "reminder", step=f"reminder-{n}", now=now)
            repo.save_session(s, now_ms=now, reminders=due)
