"""The alarm service: applies edge alarm events and cloud rules to the lifecycle, groups incidents, pages, escalates.

Everything it knows is in the state store, so it is a loop over "what is due now" (the httpx sans-IO idea:
the pure core decides, this module only loads and stores):

- every stored edge AlarmRaised / AlarmCleared not yet applied, exactly once (``alarm_seen``), in arrival order;
- every shed's cloud rules (edge offline, device silent, inspection overdue, bike left after full, post over its
  limit for long, false alarms, delivery gap); the device and post facts come from ``heard``, the record this
  process's ingest keeps (cloud.alarms.heard), when there is one;
- every alarm's shelve expiry; every open incident's due paging steps (service clocks).

It runs only in the leader (see cloud.alarms.leader). A restarted or new leader recomputes the same due steps
from the same stored incidents, and the outbox's uniqueness keeps each alert single.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import orjson
from sqlalchemy import Engine

from cloud.alarms.config import AlarmConfig, ShedExtras
from cloud.alarms.heard import HeardBook
from cloud.alarms.repo import AlarmRepo
from cloud.core.alarms.chatter import ChatterPolicy, Damper, damp
from cloud.core.alarms.clocks import due_steps
from cloud.core.alarms.incidents import Incident, Placement, inhibited, place
from cloud.core.alarms.inputs import AlarmInput, Clear, Raise, Tick
from cloud.core.alarms.lifecycle import Policy, decide
from cloud.core.alarms.model import Alarm, AlarmKey
from cloud.core.alarms.restart_grace import hold_after_start
from cloud.core.alarms.rules import LostGap, RulePolicy, evaluate, transitions
from cloud.core.notify.describe import describe
from cloud.core.notify.links import LinkClaim, sign
from cloud.core.notify.message import compose
from cloud.core.notify.reroute import reroutes
from protocol.uplink import AlarmClass

log = logging.getLogger(__name__)
EVENTS_PER_PASS = 500
WATERMARK_SLACK_MS = 10 * 60_000
FULL_SCAN_EVERY = 300  # timer passes (about 5 minutes at the default 1 s tick)
SHEDS_PER_TRANSACTION = 10  # cloud rules: sheds per transaction (~8 queries each), edge events applied in between


def key_of(body: dict[str, object]) -> AlarmKey:
    """The alarm key of an edge AlarmRaised / AlarmCleared payload (dict from its JSON)."""
    return AlarmKey(
        str(body["src"]), str(body.get("device") or ""), int(str(body.get("socket") or 0)), str(body["alarm_type"])
    )


@dataclass
class ServiceStats:
    """Counters an operator sees (GET /api/v1/alarms/health)."""

    applied_events: int = 0
    refused_inputs: int = 0
    bad_events: int = 0
    alerts_queued: int = 0
    incidents_opened: int = 0
    alerts_superseded: int = 0  # pending alerts closed because their person no longer has the target
    chattering: set[str] = field(default_factory=set)
    heard: bool = False  # device_silent and post_over_limit_long run here (ingest in this process feeds them)
    heard_pruned: int = 0  # devices outside the inventory forgotten by that record (cloud.alarms.heard)


class AlarmService:
    """One pass of ``run_once(now)`` does everything due; the leader loop calls it every tick and on new events."""

    def __init__(
        self,
        engine: Engine,
        *,
        sqlite: bool,
        config: AlarmConfig,
        link_secret: bytes,
        policy: Policy | None = None,
        rules: RulePolicy | None = None,
        chatter: ChatterPolicy | None = None,
        new_id: Callable[[], str] = lambda: f"inc-{uuid.uuid4().hex[:12]}",
        default_base_url: str = "http://127.0.0.1:8080",
        heard: HeardBook | None = None,
    ) -> None:
        self.engine = engine
        self.heard = heard
        self._config_versions: dict[str, int] = {}  # shed -> config version whose post limit ``heard`` has
        self.sqlite = sqlite
        self.config = config
        self.secret = link_secret
        self.policy = policy or Policy()
        self.rules = rules or RulePolicy()
        self.chatter = chatter or ChatterPolicy()
        self.new_id = new_id
        # Where links point when the alarm config names no [links] base_url: this cloud's own address.
        self.default_base_url = default_base_url
        self.stats = ServiceStats(heard=heard is not None)
        # Chattering damping lives in memory: after a restart it starts afresh, which only means the first
        # few flaps page as they would without damping (an alarm is never lost by it).
        self._dampers: dict[AlarmKey, Damper] = {}
        self._timer_passes = 0
        self._started_ms: int | None = None  # cloud time of the first rule pass (cloud.core.alarms.restart_grace)
        self._watermark_ms = 0  # arrival time before which every edge alarm event has been applied (with slack)
        # per shed: the feed position read to, and the gaps given up within the alarm's hold (a restart rereads)
        self._lost_gaps: dict[str, tuple[int, tuple[LostGap, ...]]] = {}

    # -- the loop's one pass --------------------------------------------------------------------

    def run_once(self, now: int) -> None:
        """Apply new edge events, evaluate rules and timers, queue due alerts."""
        self.run_events(now)
        self.run_timers(now)

    def run_events(self, now: int) -> int:
        """The fast half: apply new edge events and page what they opened (what an alarm waits for); how many."""
        return self.apply_new_events(now, page=True)

    def run_timers(self, now: int, *, between: Callable[[int], int] | None = None) -> None:
        """The timed half: cloud rules, shelve expiry, escalation steps.

        ``between(now)`` runs between its transactions and returns the time (epoch ms) for the rest: the leader
        loop applies edge events that arrived meanwhile, so a timer pass delays an alarm by one step at most.
        """
        step = between or (lambda t: t)
        self._timer_passes += 1
        if self._timer_passes % FULL_SCAN_EVERY == 0:
            # Now and then look at every arrival again: an event committed later than the slack is never missed.
            self._watermark_ms = 0
            self.apply_new_events(now, page=True)
            now = step(now)
        now = self.evaluate_rules(now, between=step)
        self.tick(step(now))
        self.page_due(step(now))
        self.reroute_pending(step(now))

    def apply_new_events(self, now: int, *, page: bool = False) -> int:
        """Apply every stored edge alarm event not yet applied (and with ``page``, queue the alerts they call for
        in the same transaction: one commit between an alarm and its alert); returns how many."""
        count = 0
        while True:
            with self.engine.begin() as conn:
                repo = AlarmRepo(conn, sqlite=self.sqlite)
                batch = repo.unapplied_events(EVENTS_PER_PASS, self._watermark_ms)
                for ev in batch:
                    repo.mark_applied(ev.src, ev.seq)
                    try:
                        body = orjson.loads(ev.body)
                        body["src"] = ev.src
                        key = key_of(body)
                        inp: Raise | Clear = (
                            Raise(
                                key,
                                AlarmClass(body["alarm_class"]),
                                str(body.get("message", "")),
                                body.get("value"),
                                body.get("threshold"),
                            )
                            if ev.type == "alarm_raised"
                            else Clear(key)
                        )
                    except (ValueError, KeyError, TypeError) as exc:
                        # The contract validated it at ingest; a body we still cannot read is counted, not fatal.
                        self.stats.bad_events += 1
                        log.warning("alarm event %s/%s unreadable: %s", ev.src, ev.seq, exc)
                        continue
                    self._damped(repo, inp, now)
                if batch and page:
                    self._page_all(repo, now)
                if batch:
                    # Later passes look only at recent arrivals; the slack covers rows stamped on arrival but
                    # committed later by a slow ingest transaction. A restart scans everything once.
                    newest = max(ev.received_ms for ev in batch)
                    self._watermark_ms = max(self._watermark_ms, newest - WATERMARK_SLACK_MS)
                count += len(batch)
            if len(batch) < EVENTS_PER_PASS:
                break
        self.stats.applied_events += count
        return count

    def _damped(self, repo: AlarmRepo, inp: Raise | Clear, now: int) -> None:
        damper = self._dampers.get(inp.key, Damper(inp.key))
        damper, passed, chattering = damp(damper, inp, now, self.chatter)
        self._dampers[inp.key] = damper
        if chattering:
            self.stats.chattering.add(str(inp.key))
        if passed is not None:
            self.apply(repo, passed, now)

    def evaluate_rules(self, now: int, *, between: Callable[[int], int] | None = None) -> int:
        """Raise and clear the cloud-side alarms of every shed, ``SHEDS_PER_TRANSACTION`` sheds at a time with
        ``between(now)`` (see run_timers) between them; returns the time the last step ran at."""
        step = between or (lambda t: t)
        if self._started_ms is None:
            self._started_ms = now  # this cloud's first rule pass: edges not heard since get their window
        started = self._started_ms
        with self.engine.connect() as conn:
            every = AlarmRepo(conn, sqlite=self.sqlite).sheds()
        for i in range(0, len(every), SHEDS_PER_TRANSACTION):
            if i:
                now = step(now)
            with self.engine.begin() as conn:
                repo = AlarmRepo(conn, sqlite=self.sqlite)
                for shed, community in every[i : i + SHEDS_PER_TRANSACTION]:
                    crowded = self.config.community_of(community).crowded
                    facts = replace(repo.facts(shed, now, crowded=crowded), lost_gaps=self._gaps_of(repo, shed, now))
                    opened = [a for a, _ in repo.open_alarms(shed)]
                    if self.heard is not None:
                        self._post_limit(repo, shed, self.heard)
                        facts = self.heard.complete(facts, repo.devices_of(shed), opened, now, self.rules)
                        self.stats.heard_pruned = self.heard.pruned
                    active = evaluate(facts, now, self.rules)
                    active = hold_after_start(active, opened, facts, now, started, self.rules)
                    for inp in transitions(opened, active):
                        self.apply(repo, inp, now)
        # Held clears of chattering keys are released by time: decided in memory first, and stored in one
        # transaction only when one passes (a transaction per key took the write lock for each key every pass).
        # No events run from here to the end: they update the same dampers.
        now = step(now)
        ticked = {key: damp(d, None, now, self.chatter) for key, d in self._dampers.items()}
        released = [passed for _, passed, _ in ticked.values() if passed is not None]
        if released:
            with self.engine.begin() as conn:
                repo = AlarmRepo(conn, sqlite=self.sqlite)
                for inp in released:
                    self.apply(repo, inp, now)
        # Kept only once stored: if that transaction fails, the clears stay held for the next pass.
        for key, (damper, _, _) in ticked.items():
            if not damper.raises_ms and damper.held_clear_ms is None:
                self._dampers.pop(key, None)
            else:
                self._dampers[key] = damper
        return now

    def _post_limit(self, repo: AlarmRepo, shed: str, heard: HeardBook) -> None:
        """Give ``heard`` the shed's post limit from the newest config the cloud holds (read again only when a
        new version appears); without one, the setting's default stands."""
        version = repo.config_version(shed)
        if version and self._config_versions.get(shed) != version:
            limit = repo.post_limit_w(shed)
            if limit is not None:
                heard.set_limit(shed, limit)
            self._config_versions[shed] = version

    def _gaps_of(self, repo: AlarmRepo, shed: str, now: int) -> tuple[LostGap, ...]:
        """The shed's given-up gaps that may still be active, reading only feed rows not read before."""
        position, known = self._lost_gaps.get(shed, (0, ()))
        head, new = repo.lost_gaps_after(shed, position)
        hold_ms = self.rules.gap_alarm_hold_s * 1000
        gaps = tuple(g for g in (*known, *new) if now - g.given_up_ms < hold_ms)
        self._lost_gaps[shed] = (head, gaps)
        return gaps

    def tick(self, now: int) -> None:
        """Expire shelves."""
        with self.engine.begin() as conn:
            repo = AlarmRepo(conn, sqlite=self.sqlite)
            for alarm, _ in repo.open_alarms():
                if alarm.shelved_until_ms is not None and alarm.shelved_until_ms <= now:
                    self.apply(repo, Tick(), now, alarm=alarm)

    # -- one input ------------------------------------------------------------------------------

    def apply(self, repo: AlarmRepo, inp: AlarmInput, now: int, *, alarm: Alarm | None = None) -> Alarm | None:
        """Run one input through the lifecycle and group what it announces; returns the alarm after it."""
        incident_id: str | None = None
        if alarm is None and isinstance(inp, Raise | Clear):
            found = repo.latest_alarm(inp.key)
            alarm, incident_id = found if found else (None, None)
        elif alarm is not None:
            found = repo.latest_alarm(alarm.key)
            incident_id = found[1] if found else None
        out = decide(alarm, inp, now, self.policy)
        if out.refused:
            self.stats.refused_inputs += 1
            return alarm
        after = out.alarm
        if after is None:
            return None
        if after.instance != (alarm.instance if alarm else 0):
            incident_id = None  # a new instance joins whatever incident is current
        if out.announce:
            returned = out.audit is not None and out.audit.action == "returned"
            incident_id = self._place(repo, after, now, incident_id, returned=returned)
        elif incident_id is not None and out.audit is not None and out.audit.action in ("cleared", "returned"):
            repo.note(incident_id, f"alarm_{out.audit.action}", now, detail=str(after.key))
        repo.save_alarm(after, incident_id, now)
        if out.audit is not None:
            repo.audit(after, out.audit, now)
        return after

    def _place(self, repo: AlarmRepo, alarm: Alarm, now: int, current: str | None, *, returned: bool) -> str | None:
        """Group an announced alarm (``returned``: it came back from normal, audit ``returned``); its incident."""
        member = False
        latest = repo.latest_incident(alarm.key.shed, lock=True)
        if current is not None and latest is not None and latest.id == current and latest.open:
            # An announced change of an alarm already in the open incident: an upgrade, a return, a shelve ended.
            placed = place(latest, alarm, now, new_id=self.new_id(), member=True)
            member = True
        elif inhibited(latest, alarm):
            assert latest is not None
            repo.note(latest.id, "alarm_inhibited", now, detail=f"{alarm.key}: {alarm.message}")
            repo.save_incident(replace(latest, alarms=latest.alarms + 1))
            return latest.id
        else:
            placed = place(latest, alarm, now, new_id=self.new_id())
        incident = placed.incident
        if incident is None:
            return None
        repo.save_incident(incident)
        detail = f"{alarm.alarm_class.value} {alarm.key}: {alarm.message}"
        if placed.placement is Placement.OPEN:
            self.stats.incidents_opened += 1
            # Paged by page_due later in this same pass, once the alarm is stored with its incident.
            repo.note(incident.id, "first_signal", alarm.raised_ms, detail=detail)
        elif placed.placement is Placement.UPGRADE:
            repo.note(incident.id, "upgraded", now, detail=detail)
            self._send_update(repo, incident, alarm, now)
        else:
            # An alarm of the incident back from normal is a return (docs/alarms.md), not a new member.
            kind = "alarm_returned" if member and returned else "alarm_joined"
            repo.note(incident.id, kind, now, detail=detail)
        return incident.id

    # -- paging ---------------------------------------------------------------------------------

    def page_due(self, now: int) -> None:
        """Queue the alerts of every due step of every open incident (idempotent)."""
        with self.engine.begin() as conn:
            self._page_all(AlarmRepo(conn, sqlite=self.sqlite), now)

    def _page_all(self, repo: AlarmRepo, now: int) -> None:
        for incident in repo.open_incidents():
            self._page_incident(repo, incident, now)

    def _page_incident(self, repo: AlarmRepo, incident: Incident, now: int) -> None:
        community = self.config.community_of(self._community(repo, incident.shed))
        rota = community.rota()
        taken = repo.steps_taken(incident.id)
        for step in due_steps(incident, now, community.promise()):
            if step.name in taken:
                continue
            people: list[str] = []
            for level in step.levels:
                # Who held the level when the step fell due, so a late or repeated pass pages the same people.
                people += [p for p in rota.level(level, step.due_ms) if p not in people]
            if not people:
                # Noted once (the step counts as taken); the next step up the chain still falls due.
                repo.note(incident.id, "nobody_on_duty", now, detail=f"step {step.name}: no one on the rota")
                repo.note(incident.id, f"step_{step.name}", now, detail="")
                continue
            summary = self._summary(repo, incident)
            for person in people:
                self._queue(repo, incident, step.name, person, summary, now)
            repo.note(incident.id, f"step_{step.name}", now, detail=", ".join(people))

    def reroute_pending(self, now: int) -> None:
        """Close each pending alert to a target its person no longer has (``superseded``, timeline
        ``alert_superseded``) and queue the message to the person's current targets (once per target)."""
        current = {pid: tuple(p.targets) for pid, p in self.config.people().items()}
        # Read first: the write transaction (SQLite's write lock) only when something is to be rerouted.
        with self.engine.connect() as conn:
            moved = reroutes(AlarmRepo(conn, sqlite=self.sqlite).pending_incident_alerts(), current)
        if not moved:
            return
        with self.engine.begin() as conn:
            repo = AlarmRepo(conn, sqlite=self.sqlite)
            for alert, targets in moved:
                channel = alert.target.split("://", 1)[0]
                if not repo.supersede(alert.id, f"superseded: {alert.person} no longer has this target"):
                    continue
                self.stats.alerts_superseded += 1
                who = alert.person
                repo.note(alert.incident, "alert_superseded", now, actor=who, device=channel, detail=alert.step)
                if not targets:
                    repo.note(alert.incident, "no_channel", now, actor=alert.person, detail=f"step {alert.step}")
                for target in targets:
                    if repo.enqueue(
                        incident=alert.incident, step=alert.step, person=alert.person, target=target,
                        title=alert.title, body=alert.body, now=now,
                    ):  # fmt: skip
                        self.stats.alerts_queued += 1

    def _send_update(self, repo: AlarmRepo, incident: Incident, alarm: Alarm, now: int) -> None:
        """An update to everyone alerted so far whom the upgrade's own first step (paged by page_due in this
        pass, as a new incident of the class would be) does not reach: nobody hears the upgrade twice."""
        updated = replace(incident, updates=incident.updates + 1)
        repo.save_incident(updated)
        rota = self.config.community_of(self._community(repo, incident.shed)).rota()
        first = due_steps(updated, now)[0]  # the upgrade's upN_open step, due now
        paged = {p for level in first.levels for p in rota.level(level, first.due_ms)}
        summary = f"now {describe(alarm)}"
        for person in repo.alerted_people(incident.id):
            if person not in paged:
                self._queue(repo, updated, f"update_{updated.updates}", person, summary, now)

    def send_resolved(self, repo: AlarmRepo, incident: Incident, now: int) -> None:
        """Tell everyone alerted that the incident is over."""
        summary = f"resolved as {incident.resolution.value if incident.resolution else '?'}: {incident.note}"
        for person in repo.alerted_people(incident.id):
            self._queue(repo, incident, "resolved", person, summary, now)

    def _queue(self, repo: AlarmRepo, incident: Incident, step: str, person: str, summary: str, now: int) -> None:
        who = self.config.people().get(person)
        if who is None or not who.targets:
            repo.note(incident.id, "no_channel", now, actor=person, detail=f"step {step}: {person} has no target")
            return
        links = self.links(incident.id, person, now)
        cameras = self.cameras(repo, incident.shed)
        for target in who.targets:
            text = compose(
                incident=incident.id,
                shed=incident.shed,
                alarm_class=incident.alarm_class,
                step=step,
                summary=summary,
                links=links,
                cameras=cameras,
            )
            body = f"{text.body}\nRef: {incident.id}/{step}/{person}"
            if repo.enqueue(
                incident=incident.id, step=step, person=person, target=target, title=text.title, body=body, now=now
            ):
                self.stats.alerts_queued += 1

    def links(self, incident: str, person: str, now: int) -> dict[str, str]:
        """Signed ack / on-site / incident-page links for ``person``."""
        base = (self.config.links.base_url or self.default_base_url).rstrip("/")
        expires = now + int(self.config.links.ttl_s * 1000)
        out = {}
        for action in ("ack", "onsite", "view"):
            token = sign(LinkClaim(action, incident, person, expires), self.secret)
            out[action] = f"{base}/api/v1/alarms/link/{token}"
        return out

    def _summary(self, repo: AlarmRepo, incident: Incident) -> str:
        alarms = repo.incident_alarms(incident.id)
        lines = [describe(a) for a in alarms]
        return "; ".join(lines[:5]) + (f" (+{len(lines) - 5} more)" if len(lines) > 5 else "")

    def cameras(self, repo: AlarmRepo, shed: str) -> tuple[str, ...]:
        """Camera links of a shed: the cloud inventory's, then any the alarm config adds."""
        links = repo.camera_urls(shed)
        links += [c for c in self.config.shed.get(shed, ShedExtras()).cameras if c not in links]
        return tuple(links)

    def community_of_shed(self, repo: AlarmRepo, shed: str) -> str:
        """The community name of ``shed`` ('default' if unknown)."""
        return self._community(repo, shed)

    def _community(self, repo: AlarmRepo, shed: str) -> str:
        return dict(repo.sheds()).get(shed, "default")
