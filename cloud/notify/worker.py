"""Drain the alert outbox: send what is due, within each target's rate limit, and record the channel's verdict.

The send happens outside any transaction (a slow channel never holds the state store's write lock); the
verdict is written right after. If the process dies between the two (SIGKILL in those milliseconds), the
alert is sent again after the restart: at least once, because for a fire a repeat is better than a loss.
Each alert carries a ``Ref: INCIDENT/STEP/PERSON`` line so a receiver can drop such a repeat.

Sends run on the notifier's own send thread(s), so the loop that starts them (the alarm thread, right after
its commit) never waits for a channel. One by default, in queue order, as before: each send in flight is a
window in which a SIGKILL repeats that alert after the restart, and with ``workers`` > 1 a kill finds more of
them open (tests/integration/alarms/test_process_drill.py then sees a repeat). With ``workers`` > 1 one slow or
dead channel (up to its 10 s timeout) no longer holds up an alert to another target or of another incident.
Either way an alert in flight is never picked again, and one incident's alerts to one target go in order.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, Row, select, update

from cloud.alarms.repo import AlarmRepo
from cloud.core.notify.message import AlertText
from cloud.core.notify.policy import Backoff, notice_retry_at, rate_limit, retry_at, wait_for_rate
from cloud.notify.channels import Delivery, deliver
from cloud.state.alarm_schema import alerts, incidents

log = logging.getLogger(__name__)
Sender = Callable[[str, AlertText], Delivery]


@dataclass
class NotifyStats:
    """Counters an operator sees."""

    delivered: int = 0
    failed_attempts: int = 0
    given_up: int = 0
    rate_waits: int = 0
    send_errors: int = 0  # a send or its record raised: the alert stays pending and is tried again


class Notifier:
    """``run_once(now)`` sends every due alert once; the leader loop calls it every tick and when alerts are queued."""

    def __init__(
        self,
        engine: Engine,
        *,
        sqlite: bool,
        send: Sender | None = None,
        backoff: Backoff | None = None,
        rate_limits: dict[str, int] | None = None,
        workers: int = 1,
    ) -> None:
        self.engine = engine
        self.sqlite = sqlite
        # One HTTP client for the bots, kept for the notifier's life (connection reuse, one TLS context);
        # httpx's client is safe to share between the send threads.
        self._http = httpx.Client(timeout=10.0)
        self.send: Sender = send or (lambda url, text: deliver(url, text, client=self._http))
        self.backoff = backoff or Backoff()
        self.rate_limits = rate_limits or {}
        self.stats = NotifyStats()
        self.on_sent: Callable[[], None] | None = None  # called after each attempt is recorded (the loop's wake)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sw-send")
        self._pass = threading.Lock()
        self._lock = threading.Lock()
        self._inflight: dict[int, tuple[str, str]] = {}  # alert id -> (target, incident) while it is sent

    def close(self) -> None:
        """Finish the sends in flight and release the HTTP client."""
        self._pool.shutdown(wait=True)
        self._http.close()

    def run_once(self, now: int, limit: int = 100, *, wait: bool = True) -> int:
        """Start a send of every due alert (up to ``limit``) not in flight and not behind an earlier alert of its
        incident to its target; returns how many were started. With ``wait`` (the default) it returns once they
        are recorded; without, at once (``on_sent`` tells when each is). Safe to call from several threads."""
        started: list[Future[None]] = []
        with self._pass:  # one pass at a time picks rows: a row is marked in flight before the next pass reads
            # In-flight first, then the outbox: a send recorded in between is then either still in flight here
            # or no longer pending there, never picked again.
            with self._lock:
                busy = set(self._inflight.values())
                inflight = set(self._inflight)
            with self.engine.connect() as conn:
                due = conn.execute(
                    select(alerts)
                    .where(alerts.c.status == "pending", alerts.c.next_ms <= now)
                    .order_by(alerts.c.next_ms, alerts.c.id)
                    .limit(limit)
                ).all()
            for row in due:
                lane = (str(row.target), str(row.incident))
                if row.id in inflight or lane in busy:
                    busy.add(lane)  # its later alerts wait too: one incident's messages to one target stay in order
                    continue
                busy.add(lane)
                wait_ms = self._rate_wait(row.target, now)
                if wait_ms > 0:
                    self.stats.rate_waits += 1
                    with self.engine.begin() as conn:
                        conn.execute(update(alerts).where(alerts.c.id == row.id).values(next_ms=now + wait_ms))
                    continue
                with self._lock:
                    self._inflight[row.id] = lane
                started.append(self._pool.submit(self._attempt, row, now))
        if wait:
            for future in started:
                future.result()
        return len(started)

    def _attempt(self, row: Row[Any], now: int) -> None:
        try:
            verdict = self.send(row.target, AlertText(row.title, row.body))
            self._record(row, verdict, now)
        except Exception:
            # Not recorded: the alert stays pending and is sent again by a later pass (at least once).
            with self._lock:
                self.stats.send_errors += 1
            log.exception(
                "alert %s/%s to %s: send or record failed; a later pass retries", row.incident, row.step, row.person
            )
        finally:
            with self._lock:
                self._inflight.pop(row.id, None)
            if self.on_sent is not None:
                self.on_sent()

    def _rate_wait(self, target: str, now: int) -> int:
        with self.engine.connect() as conn:
            sent = [
                int(r.sent_ms)
                for r in conn.execute(
                    select(alerts.c.sent_ms).where(alerts.c.target == target, alerts.c.sent_ms > now - 60_000)
                )
            ]
        with self._lock:  # sends in flight count as sent now
            sent += [now for t, _ in self._inflight.values() if t == target]
        return wait_for_rate(sent, now, rate_limit(target, self.rate_limits))

    def _retry_at(self, row: Row[Any], attempts: int, now: int) -> int | None:
        """An incident's alert is retried while the backoff allows (never given up by default); a resident's
        notice (no incident of that id: a session's or a free socket's) only for a bounded number of tries and age."""
        with self.engine.connect() as conn:
            incident = conn.execute(select(incidents.c.id).where(incidents.c.id == row.incident)).first()
        if incident is not None:
            return retry_at(attempts, now, self.backoff)
        return notice_retry_at(attempts, int(row.created_ms), now, self.backoff)

    def _record(self, row: Row[Any], verdict: Delivery, now: int) -> None:
        attempts = int(row.attempts) + 1
        alert_id, incident, person, step = row.id, str(row.incident), str(row.person), str(row.step)
        channel = str(row.target).split("://", 1)[0]
        values: dict[str, object] = {"attempts": attempts, "sent_ms": now, "detail": verdict.detail[:1000]}
        if verdict.ok:
            values |= {"status": "delivered", "delivered_ms": now}
        else:
            again = self._retry_at(row, attempts, now) if verdict.retry else None
            values |= {"status": "pending", "next_ms": again} if again is not None else {"status": "failed"}
            log.warning(
                "alert %s to %s via %s failed (attempt %d): %s", step, person, channel, attempts, verdict.detail
            )
        with self.engine.begin() as conn:
            # Only a pending alert takes the verdict: one superseded meanwhile (its person's target was removed,
            # cloud.alarms.service.reroute_pending) stays closed; its replacement is already queued.
            conn.execute(update(alerts).where(alerts.c.id == alert_id, alerts.c.status == "pending").values(**values))
            repo = AlarmRepo(conn, sqlite=self.sqlite)
            if verdict.ok:
                repo.note(incident, "alert_delivered", now, actor=person, device=channel, detail=f"{step} ({attempts})")
            elif attempts == 1 or values["status"] == "failed":
                kind = "alert_failed" if values["status"] == "failed" else "alert_retrying"
                repo.note(incident, kind, now, actor=person, device=channel, detail=f"{step}: {verdict.detail}")
        with self._lock:  # the send threads count into one place
            if verdict.ok:
                self.stats.delivered += 1
            else:
                self.stats.failed_attempts += 1
                self.stats.given_up += values["status"] == "failed"
