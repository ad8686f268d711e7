"""Drain the alert outbox: send what is due, within each target's rate limit, and record the channel's verdict.

The send happens outside any transaction (a slow channel never holds the state store's write lock); the
verdict is written right after. If the process dies between the two (SIGKILL in those milliseconds), the
alert is sent again after the restart: at least once, because for a fire a repeat is better than a loss.
Each alert carries a ``Ref: INCIDENT/STEP/PERSON`` line so a receiver can drop such a repeat.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, Row, select, update

from cloud.alarms.repo import AlarmRepo
from cloud.core.notify.message import AlertText
from cloud.core.notify.policy import Backoff, rate_limit, retry_at, wait_for_rate
from cloud.notify.channels import Delivery, deliver
from cloud.state.alarm_schema import alerts

log = logging.getLogger(__name__)
Sender = Callable[[str, AlertText], Delivery]


@dataclass
class NotifyStats:
    """Counters an operator sees."""

    delivered: int = 0
    failed_attempts: int = 0
    given_up: int = 0
    rate_waits: int = 0


class Notifier:
    """``run_once(now)`` sends every due alert once; the leader loop calls it every tick."""

    def __init__(
        self,
        engine: Engine,
        *,
        sqlite: bool,
        send: Sender | None = None,
        backoff: Backoff | None = None,
        rate_limits: dict[str, int] | None = None,
    ) -> None:
        self.engine = engine
        self.sqlite = sqlite
        # One HTTP client for the bots, kept for the notifier's life (connection reuse, one TLS context).
        self._http = httpx.Client(timeout=10.0)
        self.send: Sender = send or (lambda url, text: deliver(url, text, client=self._http))
        self.backoff = backoff or Backoff()
        self.rate_limits = rate_limits or {}
        self.stats = NotifyStats()

    def close(self) -> None:
        """Release the HTTP client."""
        self._http.close()

    def run_once(self, now: int, limit: int = 100) -> int:
        """Attempt every due alert (up to ``limit``); returns how many were attempted."""
        with self.engine.connect() as conn:
            due = conn.execute(
                select(alerts)
                .where(alerts.c.status == "pending", alerts.c.next_ms <= now)
                .order_by(alerts.c.next_ms, alerts.c.id)
                .limit(limit)
            ).all()
        attempted = 0
        for row in due:
            wait = self._rate_wait(row.target, now)
            if wait > 0:
                self.stats.rate_waits += 1
                with self.engine.begin() as conn:
                    conn.execute(update(alerts).where(alerts.c.id == row.id).values(next_ms=now + wait))
                continue
            verdict = self.send(row.target, AlertText(row.title, row.body))
            attempted += 1
            self._record(row, verdict, now)
        return attempted

    def _rate_wait(self, target: str, now: int) -> int:
        with self.engine.connect() as conn:
            sent = [
                int(r.sent_ms)
                for r in conn.execute(
                    select(alerts.c.sent_ms).where(alerts.c.target == target, alerts.c.sent_ms > now - 60_000)
                )
            ]
        return wait_for_rate(sent, now, rate_limit(target, self.rate_limits))

    def _record(self, row: Row[Any], verdict: Delivery, now: int) -> None:
        attempts = int(row.attempts) + 1
        alert_id, incident, person, step = row.id, str(row.incident), str(row.person), str(row.step)
        channel = str(row.target).split("://", 1)[0]
        values: dict[str, object] = {"attempts": attempts, "sent_ms": now, "detail": verdict.detail[:1000]}
        if verdict.ok:
            values |= {"status": "delivered", "delivered_ms": now}
            self.stats.delivered += 1
        else:
            self.stats.failed_attempts += 1
            again = retry_at(attempts, now, self.backoff) if verdict.retry else None
            values |= {"status": "pending", "next_ms": again} if again is not None else {"status": "failed"}
            if again is None:
                self.stats.given_up += 1
            log.warning(
                "alert %s to %s via %s failed (attempt %d): %s", step, person, channel, attempts, verdict.detail
            )
        with self.engine.begin() as conn:
            conn.execute(update(alerts).where(alerts.c.id == alert_id).values(**values))
            repo = AlarmRepo(conn, sqlite=self.sqlite)
            if verdict.ok:
                repo.note(incident, "alert_delivered", now, actor=person, device=channel, detail=f"{step} ({attempts})")
            elif attempts == 1 or values["status"] == "failed":
                kind = "alert_failed" if values["status"] == "failed" else "alert_retrying"
                repo.note(incident, kind, now, actor=person, device=channel, detail=f"{step}: {verdict.detail}")
