"""Cloud alarm and incident changes for the stream, read from the alarm tables wherever the service runs.

The alarm service (ISA-18.2 lifecycle, incidents) runs in whichever process holds the leader lock and writes an
``alarm_audit`` line for every alarm transition and an ``incident_events`` line for every step of an
incident's timeline. Both tables count their rows up (autoincrement ids), so a poll of the rows after the last
id seen is a change feed that works the same across processes and on SQLite or PostgreSQL; it starts at the
ids present when the process starts (the stream carries what happens from then on). With one alarm leader the
rows commit in id order; were a lower id to commit after a higher one was read, that line would be skipped.

``alarm`` data (``source`` "cloud"): ``shed``, ``key`` (the alarm's condition), ``instance``, ``state`` (its
ISA-18.2 state right after that change, replayed from the instance's audit lines: not its state at poll time,
which a later line may already have moved on), ``action`` (what changed it), ``actor`` (staff user or null),
``incident``, ``ts``. ``incident`` data: ``incident``, ``shed``, ``kind`` (the timeline step), ``actor``,
``detail``, ``resolved`` (bool), ``ts``. Times are the alarm service's clock, epoch ms.
"""

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, func, select, tuple_

from cloud.core.alarms.model import Lifecycle
from cloud.core.alarms.replay import state_after
from cloud.state.alarm_schema import alarm_audit, alarms, incident_events, incidents
from cloud.stream.frames import Outgoing
from cloud.stream.hub import Hub

log = logging.getLogger(__name__)
BATCH = 500


class AlarmFeed:
    """Polls the alarm tables every ``poll_s`` and publishes what changed to ``hub`` on ``loop``."""

    def __init__(
        self,
        engine: Engine,
        hub: Hub,
        loop: asyncio.AbstractEventLoop,
        *,
        community_of: Callable[[str], str],
        poll_s: float = 1.0,
    ) -> None:
        self.engine = engine
        self.hub = hub
        self.loop = loop
        self.community_of = community_of
        self.poll_s = poll_s
        self.errors = 0
        self.last_audit = 0
        self.last_step = 0
        # (key, instance) -> state after the last audit line read; closed (normal) ones are dropped and replayed
        # from the table should a later line (a comment) come.
        self._states: dict[tuple[str, int], Lifecycle | None] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin after the rows present now."""
        with self.engine.connect() as conn:
            self.last_audit = conn.execute(select(func.coalesce(func.max(alarm_audit.c.id), 0))).scalar_one()
            self.last_step = conn.execute(select(func.coalesce(func.max(incident_events.c.id), 0))).scalar_one()
        self._thread = threading.Thread(target=self._run, name="sw-stream-alarms", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                while self.poll_once() >= BATCH:
                    pass
            except Exception:
                self.errors += 1
                log.exception("stream: alarm feed poll failed; retrying")

    def poll_once(self) -> int:
        """Publish the alarm and incident changes since the last poll; how many rows were read."""
        out, count = self.collect()
        if out:
            # RuntimeError: the loop closed at shutdown.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.hub.publish, out)
        return count

    def _replay(self, conn: Connection, pairs: set[tuple[str, int]]) -> None:
        """The state of each (key, instance) not known yet, replayed from its audit lines read so far."""
        unknown = pairs - self._states.keys()
        if not unknown:
            return
        for pair in unknown:
            self._states[pair] = None
        q = (
            select(alarm_audit.c.key, alarm_audit.c.instance, alarm_audit.c.action)
            .where(alarm_audit.c.id <= self.last_audit)
            .where(tuple_(alarm_audit.c.key, alarm_audit.c.instance).in_(sorted(unknown)))
            .order_by(alarm_audit.c.id)
        )
        for r in conn.execute(q):
            pair = (r.key, r.instance)
            self._states[pair] = state_after(self._states[pair], r.action)

    def collect(self) -> tuple[list[Outgoing], int]:
        """The alarm and incident changes since the last call, and how many rows were read (the larger count)."""
        out: list[Outgoing] = []
        with self.engine.connect() as conn:
            audit = conn.execute(
                select(alarm_audit, alarms.c.shed, alarms.c.state, alarms.c.incident)
                .join(alarms, (alarms.c.key == alarm_audit.c.key) & (alarms.c.instance == alarm_audit.c.instance))
                .where(alarm_audit.c.id > self.last_audit)
                .order_by(alarm_audit.c.id)
                .limit(BATCH)
            ).all()
            steps = conn.execute(
                select(incident_events, incidents.c.shed, incidents.c.resolved_ms)
                .join(incidents, incidents.c.id == incident_events.c.incident)
                .where(incident_events.c.id > self.last_step)
                .order_by(incident_events.c.id)
                .limit(BATCH)
            ).all()
            self._replay(conn, {(r.key, r.instance) for r in audit})
        for r in audit:
            pair = (r.key, r.instance)
            state = self._states[pair] = state_after(self._states[pair], r.action)
            data: dict[str, Any] = {
                "source": "cloud",
                "shed": r.shed,
                "key": r.key,
                "instance": r.instance,
                # A line whose instance's first line was never found (should not happen): the stored state.
                "state": state.value if state is not None else r.state,
                "action": r.action,
                "actor": r.actor,
                "incident": r.incident,
                "ts": r.ts,
            }
            out.append(Outgoing("alarm", self.community_of(r.shed), data))
            self.last_audit = r.id
        for r in steps:
            data = {
                "incident": r.incident,
                "shed": r.shed,
                "kind": r.kind,
                "actor": r.actor,
                "detail": r.detail,
                "resolved": r.resolved_ms is not None,
                "ts": r.ts,
            }
            out.append(Outgoing("incident", self.community_of(r.shed), data))
            self.last_step = r.id
        for pair in [p for p, st in self._states.items() if st is Lifecycle.NORMAL]:
            del self._states[pair]
        return out, max(len(audit), len(steps))
