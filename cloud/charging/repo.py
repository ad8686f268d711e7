"""Rows of sessions, wallets, tariffs, QR ids and notification settings, on one open connection (no rules here).

Every function runs inside the caller's transaction: a session's new state, its wallet debit and the notices
it queues commit together or not at all. Money is whole fen; a balance changes only with its ledger line.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Row, and_, func, insert, select, update

from cloud.charging.tariff_spec import TariffSpec
from cloud.core.charging.model import Session, SocketRef
from cloud.core.charging.wallet import Settlement, settle
from cloud.core.tariff.cost import to_fen
from cloud.core.tariff.model import Tariff
from cloud.state.alarm_schema import alerts, incidents
from cloud.state.charging_schema import (
    charging_seen,
    charging_sessions,
    free_socket_watch,
    resident_notifications,
    socket_qr,
    tariffs,
    wallet_ledger,
    wallets,
)
from cloud.state.schema import events, posts


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A stored session: the core's value plus what only the cloud keeps."""

    session: Session
    tariff_version: int
    stop_by: str | None
    reminders: int
    charged_fen: int | None
    unpaid_fen: int | None
    updated_ms: int


@dataclass(frozen=True, slots=True)
class Wallet:
    """A resident's balance and what sessions could not take from it (fen)."""

    user_id: str
    community: str
    balance_fen: int
    unpaid_fen: int


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One credit or debit (``amount_fen`` > 0) and the balance after it."""

    id: int
    ts_ms: int
    kind: str
    amount_fen: int
    balance_fen: int
    unpaid_fen: int
    session: str | None
    actor: str
    note: str


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """A resident's opt-ins per kind, the Apprise URL they are sent to, and the sheds watched for a free socket."""

    channel: str = ""
    finished: bool = False
    stopped: bool = False
    free_socket: bool = False
    sheds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredSessionEvent:
    """An edge session event stored by ingest and not yet applied."""

    src: str
    seq: int
    type: str
    body: dict[str, Any]
    received_ms: int


def default_qr(ref: SocketRef) -> str:
    """A socket's QR id unless one was imported: ``{shed}-{device}-{socket}``."""
    return f"{ref.shed}-{ref.device}-{ref.socket}"


class ChargingRepo:
    """Charging rows on one connection."""

    def __init__(self, conn: Connection, *, sqlite: bool) -> None:
        self.conn = conn
        self.sqlite = sqlite

    # -- tariffs --------------------------------------------------------------------------------

    def latest_tariff(self, community: str) -> tuple[int, Tariff] | None:
        """The community's newest tariff and its version."""
        row = self.conn.execute(
            select(tariffs.c.version, tariffs.c.body)
            .where(tariffs.c.community == community)
            .order_by(tariffs.c.version.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return int(row.version), TariffSpec.model_validate_json(row.body).to_tariff(community)

    def tariff(self, community: str, version: int) -> Tariff:
        """One version of a community's tariff (a session's own); KeyError when it does not exist."""
        body = self.conn.execute(
            select(tariffs.c.body).where(tariffs.c.community == community, tariffs.c.version == version)
        ).scalar()
        if body is None:
            raise KeyError(f"no tariff version {version} for {community}")
        return TariffSpec.model_validate_json(body).to_tariff(community)

    def save_tariff(self, community: str, spec: TariffSpec, *, actor: str, now_ms: int) -> int:
        """Store a new version (the newest + 1); returns it. Running sessions keep theirs."""
        newest = self.conn.execute(select(func.max(tariffs.c.version)).where(tariffs.c.community == community)).scalar()
        version = int(newest or 0) + 1
        self.conn.execute(
            insert(tariffs).values(
                community=community, version=version, body=spec.model_dump_json(), actor=actor, created_ms=now_ms
            )
        )
        return version

    # -- QR ids ---------------------------------------------------------------------------------

    def resolve_qr(self, qr: str) -> SocketRef | None:
        """The socket a QR id names: an imported id, else a default ``{shed}-{device}-{socket}`` not overridden."""
        row = self.conn.execute(select(socket_qr).where(socket_qr.c.qr == qr)).first()
        if row is not None:
            return SocketRef(row.shed, row.device, int(row.socket))
        for p in self.conn.execute(select(posts.c.shed, posts.c.post, posts.c.sockets)):
            prefix = f"{p.shed}-{p.post}-"
            number = qr.removeprefix(prefix)
            if qr.startswith(prefix) and number.isdigit() and 1 <= int(number) <= int(p.sockets):
                ref = SocketRef(p.shed, p.post, int(number))
                if self.qr_of(ref) == qr:
                    return ref
        return None

    def qr_of(self, ref: SocketRef) -> str:
        """The socket's QR id (imported or default)."""
        found = self.conn.execute(
            select(socket_qr.c.qr).where(
                socket_qr.c.shed == ref.shed, socket_qr.c.device == ref.device, socket_qr.c.socket == ref.socket
            )
        ).scalar()
        return str(found) if found is not None else default_qr(ref)

    def set_qr(self, shed: str, codes: Iterable[tuple[str, SocketRef]]) -> int:
        """Replace a shed's imported QR ids (sockets not listed fall back to their default); how many were set."""
        self.conn.execute(socket_qr.delete().where(socket_qr.c.shed == shed))
        rows = [{"qr": qr, "shed": ref.shed, "device": ref.device, "socket": ref.socket} for qr, ref in codes]
        if rows:
            self.conn.execute(insert(socket_qr), rows)
        return len(rows)

    # -- sessions -------------------------------------------------------------------------------

    def insert_session(self, session: Session, *, tariff_version: int, now_ms: int) -> None:
        """Store a new session."""
        ref = session.socket
        self.conn.execute(
            insert(charging_sessions).values(
                id=session.session_id,
                user_id=session.user_id,
                community=session.community,
                qr=session.qr_id,
                shed=ref.shed,
                device=ref.device,
                socket=ref.socket,
                tariff_version=tariff_version,
                requested_ms=session.requested_ms,
                **self._columns(session, now_ms),
            )
        )

    def save_session(self, session: Session, *, now_ms: int, **extra: Any) -> None:
        """Store a session's new state (``extra``: stop_by, reminders, charged_fen, unpaid_fen)."""
        self.conn.execute(
            update(charging_sessions)
            .where(charging_sessions.c.id == session.session_id)
            .values(**self._columns(session, now_ms), **extra)
        )

    @staticmethod
    def _columns(session: Session, now_ms: int) -> dict[str, Any]:
        return {
            "status": session.status.value,
            "end_reason": session.end_reason.value if session.end_reason else None,
            "ended_ms": session.ended_ms,
            "energy_wh": session.energy_wh,
            "cost_fen": to_fen(session.cost_yuan),
            "updated_ms": now_ms,
            "body": orjson.dumps(session.to_dict()).decode(),
        }

    def session(self, session_id: str, *, lock: bool = False) -> SessionRow | None:
        """One session (``lock``: FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises)."""
        q = select(charging_sessions).where(charging_sessions.c.id == session_id)
        if lock and not self.sqlite:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return None if row is None else _session_row(row)

    def open_session_on(self, ref: SocketRef) -> SessionRow | None:
        """The socket's session that has not ended, if any."""
        row = self.conn.execute(
            select(charging_sessions).where(
                charging_sessions.c.shed == ref.shed,
                charging_sessions.c.device == ref.device,
                charging_sessions.c.socket == ref.socket,
                charging_sessions.c.status != "ended",
            )
        ).first()
        return None if row is None else _session_row(row)

    def sessions(
        self,
        *,
        user_id: str | None = None,
        communities: Sequence[str] | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[SessionRow]:
        """Sessions newest first: one user's, or those of some communities (None: every community)."""
        q = select(charging_sessions)
        if user_id is not None:
            q = q.where(charging_sessions.c.user_id == user_id)
        if communities is not None:
            q = q.where(charging_sessions.c.community.in_(list(communities)))
        if status is not None:
            q = q.where(charging_sessions.c.status == status)
        q = q.order_by(charging_sessions.c.requested_ms.desc(), charging_sessions.c.id).limit(limit)
        return [_session_row(r) for r in self.conn.execute(q)]

    def open_sessions(self) -> list[SessionRow]:
        """Every session not ended."""
        q = select(charging_sessions).where(charging_sessions.c.status != "ended")
        return [_session_row(r) for r in self.conn.execute(q)]

    def ended_full_to_remind(self, max_reminders: int, since_ms: int) -> list[SessionRow]:
        """Sessions ended ``full`` after ``since_ms`` with fewer than ``max_reminders`` reminders queued."""
        q = select(charging_sessions).where(
            charging_sessions.c.status == "ended",
            charging_sessions.c.end_reason == "full",
            charging_sessions.c.reminders < max_reminders,
            charging_sessions.c.ended_ms >= since_ms,
        )
        return [_session_row(r) for r in self.conn.execute(q)]

    # -- edge events ----------------------------------------------------------------------------

    def unapplied_session_events(self, types: Sequence[str], limit: int, since_ms: int = 0) -> list[StoredSessionEvent]:
        """Stored edge session events not yet applied that arrived at or after ``since_ms``, per shed in seq order
        (oldest arrival first)."""
        q = (
            select(events.c.src, events.c.seq, events.c.type, events.c.body, events.c.received_ms)
            .select_from(
                events.outerjoin(
                    charging_seen, and_(charging_seen.c.src == events.c.src, charging_seen.c.seq == events.c.seq)
                )
            )
            .where(events.c.type.in_(list(types)), events.c.received_ms >= since_ms, charging_seen.c.seq.is_(None))
            .order_by(events.c.received_ms, events.c.src, events.c.seq)
            .limit(limit)
        )
        return [
            StoredSessionEvent(r.src, int(r.seq), r.type, orjson.loads(r.body), int(r.received_ms))
            for r in self.conn.execute(q)
        ]

    def mark_applied(self, src: str, seq: int) -> None:
        """Remember that (src, seq) was applied."""
        self.conn.execute(insert(charging_seen).values(src=src, seq=seq))

    # -- wallets --------------------------------------------------------------------------------

    def wallet(self, user_id: str, *, lock: bool = False) -> Wallet | None:
        """A resident's wallet (None until the first credit); ``lock``: FOR UPDATE on PostgreSQL, so two credits
        or a credit and a debit never both start from the same balance (SQLite's BEGIN IMMEDIATE serialises)."""
        q = select(wallets).where(wallets.c.user_id == user_id)
        row = self.conn.execute(q.with_for_update() if lock and not self.sqlite else q).first()
        if row is None:
            return None
        return Wallet(row.user_id, row.community, int(row.balance_fen), int(row.unpaid_fen))

    def ledger(self, user_id: str, limit: int = 50) -> list[LedgerLine]:
        """A resident's newest ledger lines first."""
        q = select(wallet_ledger).where(wallet_ledger.c.user_id == user_id).order_by(wallet_ledger.c.id.desc())
        return [
            LedgerLine(
                int(r.id),
                int(r.ts_ms),
                r.kind,
                int(r.amount_fen),
                int(r.balance_fen),
                int(r.unpaid_fen),
                r.session,
                r.actor,
                r.note,
            )
            for r in self.conn.execute(q.limit(limit))
        ]

    def credit(self, user_id: str, community: str, new_balance_fen: int, amount_fen: int, **line: Any) -> None:
        """Set the balance after a credit the rules allowed (``line``: ts_ms, actor, note), with its ledger line."""
        now = int(line["ts_ms"])
        if self.wallet(user_id) is None:
            self.conn.execute(insert(wallets).values(user_id=user_id, community=community, updated_ms=now))
        self.conn.execute(
            update(wallets).where(wallets.c.user_id == user_id).values(balance_fen=new_balance_fen, updated_ms=now)
        )
        self.conn.execute(
            insert(wallet_ledger).values(
                user_id=user_id, kind="credit", amount_fen=amount_fen, balance_fen=new_balance_fen, **line
            )
        )

    def debit_session(self, session: Session, *, now_ms: int) -> Settlement | None:
        """Debit a finished session's cost once; None when it was already debited (a replay)."""
        done = self.conn.execute(select(wallet_ledger.c.id).where(wallet_ledger.c.session == session.session_id))
        if done.first() is not None:
            return None
        wallet = self.wallet(session.user_id, lock=True)
        balance = wallet.balance_fen if wallet else 0
        result = settle(balance, session.cost_yuan)
        if wallet is None:
            self.conn.execute(
                insert(wallets).values(user_id=session.user_id, community=session.community, updated_ms=now_ms)
            )
        self.conn.execute(
            update(wallets)
            .where(wallets.c.user_id == session.user_id)
            .values(
                balance_fen=result.balance_fen,
                unpaid_fen=wallets.c.unpaid_fen + result.unpaid_fen,
                updated_ms=now_ms,
            )
        )
        self.conn.execute(
            insert(wallet_ledger).values(
                user_id=session.user_id,
                ts_ms=now_ms,
                kind="debit",
                amount_fen=result.charged_fen,
                balance_fen=result.balance_fen,
                unpaid_fen=result.unpaid_fen,
                session=session.session_id,
                actor="session",
                note=f"{session.energy_wh:.1f} Wh at {session.qr_id}",
            )
        )
        return result

    # -- notification settings ------------------------------------------------------------------

    def notify_settings(self, user_id: str) -> NotifySettings:
        """A resident's settings (all off, no channel, until they save some)."""
        row = self.conn.execute(select(resident_notifications).where(resident_notifications.c.user_id == user_id))
        found = row.first()
        sheds = tuple(
            r.shed
            for r in self.conn.execute(
                select(free_socket_watch.c.shed)
                .where(free_socket_watch.c.user_id == user_id)
                .order_by(free_socket_watch.c.shed)
            )
        )
        if found is None:
            return NotifySettings(sheds=sheds)
        return NotifySettings(found.channel, bool(found.finished), bool(found.stopped), bool(found.free_socket), sheds)

    def save_notify_settings(self, user_id: str, settings: NotifySettings, *, now_ms: int) -> None:
        """Replace a resident's settings and watched sheds (a shed kept keeps its last notice time)."""
        values = {
            "channel": settings.channel,
            "finished": settings.finished,
            "stopped": settings.stopped,
            "free_socket": settings.free_socket,
            "updated_ms": now_ms,
        }
        exists = self.conn.execute(
            select(resident_notifications.c.user_id).where(resident_notifications.c.user_id == user_id)
        ).first()
        if exists is None:
            self.conn.execute(insert(resident_notifications).values(user_id=user_id, **values))
        else:
            self.conn.execute(
                update(resident_notifications).where(resident_notifications.c.user_id == user_id).values(**values)
            )
        watched = self.conn.execute(select(free_socket_watch.c.shed).where(free_socket_watch.c.user_id == user_id))
        old = {r.shed for r in watched}
        gone = old - set(settings.sheds)
        if gone:
            self.conn.execute(
                free_socket_watch.delete().where(
                    free_socket_watch.c.user_id == user_id, free_socket_watch.c.shed.in_(sorted(gone))
                )
            )
        for shed in sorted(set(settings.sheds) - old):
            self.conn.execute(insert(free_socket_watch).values(user_id=user_id, shed=shed, last_sent_ms=0))
        self._redirect_pending_notices(user_id[:64], settings.channel, now_ms)

    def _redirect_pending_notices(self, person: str, channel: str, now_ms: int) -> None:
        """The resident's notices still pending go to their new ``channel`` (tried again now, tries counted afresh),
        or are given up (``failed``, "channel removed") when they removed it; an incident's alerts are not touched.
        A notice already queued to the new channel (the same step) keeps that one and gives the old one up."""
        pending = self.conn.execute(
            select(alerts.c.id, alerts.c.incident, alerts.c.step, alerts.c.target).where(
                alerts.c.person == person,
                alerts.c.status == "pending",
                alerts.c.target != channel,
                alerts.c.incident.not_in(select(incidents.c.id)),
            )
        ).all()
        for row in pending:
            twin = self.conn.execute(
                select(alerts.c.id).where(
                    alerts.c.incident == row.incident,
                    alerts.c.step == row.step,
                    alerts.c.person == person,
                    alerts.c.target == channel,
                )
            ).first()
            if channel and twin is None:
                values: dict[str, object] = {"target": channel, "attempts": 0, "next_ms": now_ms}
            else:
                reason = "channel removed" if not channel else "already queued to the new channel"
                values = {"status": "failed", "detail": f"given up: {reason}"}
            self.conn.execute(update(alerts).where(alerts.c.id == row.id).values(**values))

    def watchers(self, shed: str) -> list[tuple[str, str, int]]:
        """(user, channel, last notice ms) of residents opted in to "a socket is free" for this shed."""
        q = (
            select(free_socket_watch.c.user_id, resident_notifications.c.channel, free_socket_watch.c.last_sent_ms)
            .select_from(
                free_socket_watch.join(
                    resident_notifications, resident_notifications.c.user_id == free_socket_watch.c.user_id
                )
            )
            .where(free_socket_watch.c.shed == shed, resident_notifications.c.free_socket.is_(True))
        )
        return [(r.user_id, r.channel, int(r.last_sent_ms)) for r in self.conn.execute(q)]

    def watched(self, user_id: str, shed: str, now_ms: int) -> None:
        """Record that the resident was told of a free socket in this shed now."""
        self.conn.execute(
            update(free_socket_watch)
            .where(free_socket_watch.c.user_id == user_id, free_socket_watch.c.shed == shed)
            .values(last_sent_ms=now_ms)
        )


def _session_row(row: Row[Any]) -> SessionRow:
    return SessionRow(
        Session.from_dict(orjson.loads(row.body)),
        int(row.tariff_version),
        row.stop_by,
        int(row.reminders),
        None if row.charged_fen is None else int(row.charged_fen),
        None if row.unpaid_fen is None else int(row.unpaid_fen),
        int(row.updated_ms),
    )
