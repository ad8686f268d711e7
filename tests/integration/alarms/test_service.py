"""The alarm service and notifier in one process over a real state store and real receivers (simulated time).

From stored edge events to alerts confirmed by a webhook, a DingTalk-like bot and an SMTP server: one incident
per emergency, inhibition, escalation at 3 minutes, ack and on-site through signed links, the timeline, the
report; a bot that answers 200 with an error code is retried, never counted as delivered.
"""

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cloud.alarms.actions import ActionRefused, ack_incident, onsite_incident, resolve_incident
from cloud.alarms.config import load_alarm_config
from cloud.alarms.leader import Leadership
from cloud.alarms.repo import AlarmRepo, rows_by_status
from cloud.alarms.service import AlarmService
from cloud.core.alarms.incidents import Resolution
from cloud.core.alarms.inputs import Actor
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.core.alarms.report import report
from cloud.core.events import GapDetected
from cloud.core.notify.links import verify
from cloud.ingest.batch import Batch
from cloud.notify.worker import Notifier
from cloud.state.schema import cameras
from cloud.state.store import StateStore
from protocol.config import ShedConfig
from protocol.uplink import AlarmClass, AlarmCleared, AlarmRaised, EdgeState, InterlockAction
from tests.integration.alarms.conftest import write_alarm_toml
from tests.integration.alarms.edge_alarms import edge_alarm
from tests.integration.alarms.receivers import HttpReceiver, SmtpReceiver
from tests.integration.cloud.postgres import fresh_schema

pytestmark = pytest.mark.integration
T0 = 1_767_225_600_000
SECRET = b"test-link-secret-0123456789"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    with contextlib.ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'state.db'}"
        if request.param == "postgresql":
            url = stack.enter_context(fresh_schema())
        s = StateStore(url)
        s.migrate()
        s.register_shed(ShedConfig.model_validate({"shed": "shed-a", "extinguishers": ["ext-1"], "sensors": ["env-1"]}))
        yield s
        s.close()


def test_one_leader_at_a_time(store: StateStore) -> None:
    other = StateStore(store.url)
    a, b = Leadership(store), Leadership(other)
    try:
        assert a.try_acquire() and a.still_held()
        assert not b.try_acquire() and not b.held
        a.release()
        assert b.try_acquire()
        assert not a.try_acquire()
    finally:
        a.release()
        b.release()
        other.close()


class World:
    def __init__(self, store: StateStore, path: Path) -> None:
        self.store = store
        self.service = AlarmService(
            store.engine,
            sqlite=self.store.is_sqlite,
            config=load_alarm_config(path),
            link_secret=SECRET,
            new_id=self._id,
        )
        self.notifier = Notifier(store.engine, sqlite=self.store.is_sqlite)
        self.seq = 0
        self.n = 0

    def _id(self) -> str:
        self.n += 1
        return f"inc-{self.n}"

    def edge(self, *events: object, at: float) -> None:
        rx = T0 + int(at * 1000)
        batch = Batch()
        for ev in events:
            if isinstance(ev, EdgeState):
                batch.states.append((ev, rx))
            else:
                batch.events.append((ev, rx))  # type: ignore[arg-type]
        self.store.write(batch)

    def raised(
        self, alarm_type: str, cls: AlarmClass, device: str, socket: int | None = None
    ) -> AlarmRaised | AlarmCleared:
        self.seq += 1
        return edge_alarm(
            "shed-a",
            self.seq,
            T0,
            alarm_type=alarm_type,
            alarm_class=cls,
            device=device,
            socket=socket,
            message=alarm_type,
        )

    def cut(self, scope: str, reason: str) -> InterlockAction:
        self.seq += 1
        return InterlockAction(src="shed-a", seq=self.seq, ts=T0, action="cut", scope=scope, reason=reason)  # type: ignore[arg-type]

    def run(self, at: float) -> None:
        now = T0 + int(at * 1000)
        self.service.run_once(now)
        while self.notifier.run_once(now):
            pass


def test_one_fire_one_incident_escalation_links_timeline_report(
    tmp_path: Path, store: StateStore, webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver
) -> None:
    w = World(store, write_alarm_toml(tmp_path / "alarms.toml", webhook, dingtalk, smtp, "http://cloud.local"))
    with store.engine.begin() as conn:  # a camera in the cloud inventory, besides the alarm config's
        conn.execute(cameras.insert().values(shed="shed-a", camera="cam-2", url="rtsp://inventory-cam/2"))
    w.edge(EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), at=0)
    w.edge(w.cut("shed", "off_gas"), w.raised("off_gas", AlarmClass.PRE_FIRE, "env-1"), at=1)
    w.run(at=1)
    # The guard on three channels, confirmed by each; pre-fire pages the guard only.
    assert sum("Ref: inc-1/open/guard-li" in t for t in webhook.texts()) == 1
    assert sum("Ref: inc-1/open/guard-li" in t for t in dingtalk.texts()) == 1
    assert sum("Ref: inc-1/open/guard-li" in t for t in smtp.messages) == 1
    assert not any("leader-wang" in t for t in webhook.texts())
    assert "Camera: rtsp://inventory-cam/2" in dingtalk.texts()[0]
    assert "Camera: rtsp://cam-1.local/stream" in dingtalk.texts()[0]

    # The fire follows: the same incident, upgraded and paged as a new fire would be (the guard and the shift
    # leader at once, clocks from the upgrade); the guard is not told twice; socket alarms are inhibited.
    w.edge(
        w.raised("smoke", AlarmClass.FIRE, "env-1"),
        w.raised("over_power", AlarmClass.OPERATIONAL, "post-1", 3),
        w.raised("relay_unconfirmed", AlarmClass.TROUBLE, "post-1", 4),
        w.raised("heat", AlarmClass.FIRE, "env-1"),
        at=20,
    )
    w.run(at=20)
    with store.engine.connect() as conn:
        repo = AlarmRepo(conn, sqlite=store.is_sqlite)
        incidents = repo.all_incidents()
        assert [i.id for i in incidents] == ["inc-1"]
        assert incidents[0].alarm_class is AlarmClass.FIRE and incidents[0].alarms >= 4
        kinds = [e.kind for e in repo.timeline(incidents[0])]
    assert kinds.count("alarm_inhibited") == 2 and kinds.count("upgraded") == 1
    guard_texts = [t for t in webhook.texts() if "guard-li" in t]
    assert len(guard_texts) == 2 and "Ref: inc-1/up1_open/guard-li" in guard_texts[1]
    assert "[FIRE]" in guard_texts[1] and not any("update_1" in t for t in webhook.texts())
    assert sum("Ref: inc-1/up1_open/leader-wang" in t for t in webhook.texts()) == 1

    # Nobody accepts within 3 minutes of the upgrade: the shift leader is paged again (simulated time).
    w.run(at=182)
    assert not any("ack_overdue_1" in t for t in webhook.texts())  # 3 min from the opening: the fire is newer
    w.run(at=201)
    assert sum("Ref: inc-1/up1_ack_overdue_1/leader-wang" in t for t in webhook.texts()) == 1
    # A second pass pages nobody twice.
    w.run(at=203)
    assert sum("ack_overdue_1" in t for t in webhook.texts()) == 1

    # The leader accepts through the link in the alert, from a phone.
    leader_text = next(t for t in webhook.texts() if "ack_overdue_1/leader-wang" in t)
    ack_url = next(line.split(": ", 1)[1] for line in leader_text.splitlines() if line.startswith("Accept: "))
    claim = verify(ack_url.rsplit("/", 1)[1], SECRET, T0 + 205_000)
    assert (claim.action, claim.person, claim.incident) == ("ack", "leader-wang", "inc-1")
    ack_incident(w.service, claim.incident, Actor(claim.person, "link:phone"), T0 + 205_000)
    with pytest.raises(ActionRefused, match="already acknowledged by leader-wang"):
        ack_incident(w.service, "inc-1", Actor("guard-li", "cli"), T0 + 206_000)
    w.run(at=200)  # back (and heard) in the window: no page at all
    assert not any("ack_overdue_2" in t for t in webhook.texts())
    onsite_incident(w.service, "inc-1", Actor("guard-li", "link:phone"), T0 + 420_000)
    w.run(at=700)
    assert not any("onsite_overdue" in t for t in webhook.texts())
    resolve_incident(
        w.service, "inc-1", Resolution.REAL, "cell vented; extinguished", Actor("leader-wang"), T0 + 900_000
    )
    w.run(at=901)
    assert sum("Ref: inc-1/resolved/" in t for t in webhook.texts()) == 2  # guard and leader, on the webhook

    with store.engine.connect() as conn:
        repo = AlarmRepo(conn, sqlite=store.is_sqlite)
        incident = repo.incident("inc-1")
        assert incident is not None
        timeline = repo.timeline(incident)
        assert rows_by_status(conn, ["pending", "failed"]) == {}
    kinds = [e.kind for e in timeline]
    assert kinds[0] == "interlock" and "cut shed" in timeline[0].detail  # the edge cut power first
    for kind in ("first_signal", "step_open", "alert_delivered", "acknowledged", "on_site", "resolved"):
        assert kind in kinds, kind
    delivered = {(e.actor, e.device) for e in timeline if e.kind == "alert_delivered"}
    assert {
        ("guard-li", "json"),
        ("guard-li", "dingtalk+http"),
        ("guard-li", "mailto"),
        ("leader-wang", "json"),
    } <= delivered
    ack = next(e for e in timeline if e.kind == "acknowledged")
    assert (ack.actor, ack.device) == ("leader-wang", "link:phone")
    rows = {(r.by, r.group, r.clock): r for r in report([incident], T0 + 1_000_000)}
    # Clocks run from the upgrade to fire at 20 s.
    assert rows[("person", "leader-wang", "ack")].kept == 0 and rows[("person", "leader-wang", "ack")].worst_s == 185
    assert rows[("person", "guard-li", "onsite")].kept == 1 and rows[("person", "guard-li", "onsite")].worst_s == 400


def test_a_bot_answering_200_with_an_error_code_is_retried_never_counted_delivered(
    tmp_path: Path, store: StateStore, webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver
) -> None:
    w = World(store, write_alarm_toml(tmp_path / "alarms.toml", webhook, dingtalk, smtp, "http://cloud.local"))
    w.edge(EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), at=0)
    dingtalk.errcode = 130101  # "send too fast"
    w.edge(w.raised("smoke", AlarmClass.FIRE, "env-1"), at=1)
    w.run(at=1)
    assert dingtalk.refused == 1 and dingtalk.texts() == []
    with store.engine.connect() as conn:
        assert rows_by_status(conn, ["pending", "delivered"]) == {"pending": 1, "delivered": 3}
    dingtalk.errcode = 0
    w.run(at=2)  # backoff: not yet (first retry after 2 s)
    assert dingtalk.texts() == []
    w.run(at=3.5)
    assert len(dingtalk.texts()) == 1
    with store.engine.connect() as conn:
        assert rows_by_status(conn, ["pending", "delivered"]) == {"delivered": 4}
        incident = AlarmRepo(conn, sqlite=store.is_sqlite).incident("inc-1")
        assert incident is not None
        kinds = [(e.kind, e.device) for e in AlarmRepo(conn, sqlite=store.is_sqlite).timeline(incident)]
    assert ("alert_retrying", "dingtalk+http") in kinds and ("alert_delivered", "dingtalk+http") in kinds


def test_cloud_rules_edge_offline_and_inspection_overdue(
    tmp_path: Path, store: StateStore, webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver
) -> None:
    w = World(store, write_alarm_toml(tmp_path / "alarms.toml", webhook, dingtalk, smtp, "http://cloud.local"))
    w.edge(EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), at=0)
    w.run(at=0)  # the cloud runs from the start: the birth is heard in this run (no restart window)
    w.run(at=89)
    assert webhook.texts() == []
    w.run(at=90)  # three 30 s heartbeats missed
    assert sum("edge_offline" in t and "guard-li" in t for t in webhook.texts()) == 1
    w.run(at=30 * 86400 - 1)  # the extinguisher first seen at 0 s is due for inspection 30 days later
    with store.engine.connect() as conn:
        keys = {str(a.key) for a, _ in AlarmRepo(conn, sqlite=store.is_sqlite).open_alarms("shed-a")}
    assert "shed-a/ext-1/0/inspection_overdue" not in keys
    w.run(at=30 * 86400)
    with store.engine.connect() as conn:
        keys = {str(a.key) for a, _ in AlarmRepo(conn, sqlite=store.is_sqlite).open_alarms("shed-a")}
    assert "shed-a/ext-1/0/inspection_overdue" in keys


def test_a_gap_the_cloud_gave_up_is_a_trouble_alarm_that_waits_for_acknowledgement(
    tmp_path: Path, store: StateStore, webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver
) -> None:
    # Delivery: a gap the cloud cannot close is shown on /healthz and as a trouble alarm naming the shed.
    w = World(store, write_alarm_toml(tmp_path / "alarms.toml", webhook, dingtalk, smtp, "http://cloud.local"))
    w.edge(EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), at=0)
    asked = GapDetected(shed="shed-a", seq=135, ts=T0, received_at=T0 + 5_000, first=120, last=135)
    store.append_events([asked])
    w.run(at=10)
    key = "shed-a/-/0/delivery_gap"

    def open_gap_alarms() -> list[Alarm]:
        with store.engine.connect() as conn:
            found = AlarmRepo(conn, sqlite=store.is_sqlite).open_alarms("shed-a")
        return [a for a, _ in found if str(a.key) == key]

    assert open_gap_alarms() == []  # asked for again: not yet a trouble
    store.append_events([replace(asked, received_at=T0 + 20_000, lost=True)])
    w.run(at=21)
    [alarm] = open_gap_alarms()
    assert (alarm.alarm_class, alarm.active, alarm.value) == (AlarmClass.TROUBLE, True, 16)
    assert "120..135" in alarm.message
    w.run(at=20 + 600)  # momentary: returns to normal after the hold, and stays until acknowledged
    [alarm] = open_gap_alarms()
    assert (alarm.active, alarm.state) == (False, Lifecycle.RTN_UNACK)


def test_nobody_on_duty_is_noted_once_per_step_and_escalation_goes_on(store: StateStore, tmp_path: Path) -> None:
    path = tmp_path / "alarms.toml"
    path.write_text(
        '[[person]]\nid = "boss"\n[[community]]\n[[community.shift]]\nrole = "property_manager"\nperson = "boss"\n'
    )
    w = World(store, path)
    w.edge(EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), at=0)
    w.edge(w.raised("smoke", AlarmClass.FIRE, "env-1"), at=1)
    for at in (1, 2, 3, 200, 201, 700):
        w.run(at=at)
    with store.engine.connect() as conn:
        repo = AlarmRepo(conn, sqlite=store.is_sqlite)
        incident = repo.incident("inc-1")
        assert incident is not None
        kinds = [(e.kind, e.actor, e.detail) for e in repo.timeline(incident)]
    # No guard or leader on the rota: the page passes up to the manager, who has no target: noted, not repeated.
    steps = [k for k, _, _ in kinds if k.startswith("step_")]
    assert steps == ["step_open", "step_ack_overdue_1", "step_ack_overdue_2", "step_onsite_overdue"]
    assert sum(1 for k, who, _ in kinds if k == "no_channel" and who == "boss") == 4


def test_escalation_timers_survive_a_restart_and_a_new_leader_pages_once(
    tmp_path: Path, store: StateStore, webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver
) -> None:
    path = write_alarm_toml(tmp_path / "alarms.toml", webhook, dingtalk, smtp, "http://cloud.local")
    w = World(store, path)
    w.edge(EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), at=0)
    w.edge(w.raised("off_gas", AlarmClass.PRE_FIRE, "env-1"), at=1)
    w.run(at=1)
    # The leader dies; a new process (fresh service and notifier, nothing in memory) takes over after 3 minutes.
    w2 = World(store, path)
    w2.seq = w.seq
    w2.run(at=182)
    w2.run(at=183)
    w.run(at=184)  # even the old one coming back pages nobody twice
    assert sum("Ref: inc-1/ack_overdue_1/leader-wang" in t for t in webhook.texts()) == 1
    assert sum("Ref: inc-1/open/guard-li" in t for t in webhook.texts()) == 1


def test_an_event_committed_late_behind_the_watermark_is_applied_by_the_periodic_full_scan(
    tmp_path: Path, store: StateStore, webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver
) -> None:
    from cloud.alarms import service as service_module

    w = World(store, write_alarm_toml(tmp_path / "alarms.toml", webhook, dingtalk, smtp, "http://cloud.local"))
    w.edge(EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), at=0)
    w.edge(w.raised("sensor_fault", AlarmClass.TROUBLE, "env-1"), at=3600)
    w.run(at=3600)
    # An event stamped on arrival an hour earlier, committed only now (a stalled ingest transaction).
    w.edge(w.raised("smoke", AlarmClass.FIRE, "env-2"), at=1)
    w.service.run_events(T0 + 3_601_000)
    with store.engine.connect() as conn:
        assert AlarmRepo(conn, sqlite=store.is_sqlite).latest_alarm(AlarmKey("shed-a", "env-2", 0, "smoke")) is None
    for _ in range(service_module.FULL_SCAN_EVERY):
        w.service.run_timers(T0 + 3_602_000)
    with store.engine.connect() as conn:
        assert AlarmRepo(conn, sqlite=store.is_sqlite).latest_alarm(AlarmKey("shed-a", "env-2", 0, "smoke")) is not None


def test_an_incident_lists_only_the_edge_actions_about_its_own_alarms(
    tmp_path: Path, store: StateStore, webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver
) -> None:
    """A Service incident still open when a separate fire breaks out in the same shed (after the Service one's
    grouping window): the fire's cut is in the fire's incident, not in the Service one's "what the edge did",
    though it falls in its time window."""
    w = World(store, write_alarm_toml(tmp_path / "alarms.toml", webhook, dingtalk, smtp, "http://cloud.local"))
    w.edge(EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), at=0)
    w.edge(w.raised("bike_left", AlarmClass.SERVICE, "post-1", 2), at=1)
    w.run(at=1)
    w.seq += 1
    runaway_cut = InterlockAction(
        src="shed-a", seq=w.seq, ts=T0, action="cut", scope="socket", reason="thermal_runaway", device="post-1",
        socket=3, latched=True,
    )  # fmt: skip
    w.seq += 1
    stop_of_2 = InterlockAction(
        src="shed-a", seq=w.seq, ts=T0, action="cut", scope="socket", reason="operator_stop", device="post-1",
        socket=2, actor="op-li",
    )  # fmt: skip
    # Past the Service incident's 30 min grouping window: the fire is an incident of its own.
    w.edge(runaway_cut, stop_of_2, w.raised("thermal_runaway", AlarmClass.PRE_FIRE, "post-1", 3), at=1900)
    w.run(at=1900)
    with store.engine.connect() as conn:
        repo = AlarmRepo(conn, sqlite=store.is_sqlite)
        by_class = {i.alarm_class: i for i in repo.all_incidents()}
        assert set(by_class) == {AlarmClass.SERVICE, AlarmClass.PRE_FIRE}, by_class
        service = [e.detail for e in repo.timeline(by_class[AlarmClass.SERVICE]) if e.kind == "interlock"]
        fire = [e.detail for e in repo.timeline(by_class[AlarmClass.PRE_FIRE]) if e.kind == "interlock"]
    assert service == ["cut socket post-1/2 (operator_stop)"]  # its own socket's stop, not the fire's cut
    assert "cut socket post-1/3 (thermal_runaway)" in fire  # (the edge, silent this long, is offline too:
    # a shed-wide alarm of the fire's incident, so the stop shows there as well)


def test_a_restart_gives_an_edge_it_has_not_heard_yet_its_window_before_paging(
    tmp_path: Path, store: StateStore, webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver
) -> None:
    # A planned stop (the demo's, an upgrade): the edges' wills arrive, the cloud stops before any rule pass.
    toml = write_alarm_toml(tmp_path / "alarms.toml", webhook, dingtalk, smtp, "http://cloud.local")
    w = World(store, toml)
    w.edge(EdgeState(src="shed-a", seq=0, ts=T0, state="birth", session=1), at=0)
    w.edge(EdgeState(src="shed-a", seq=1, ts=T0 + 10_000, state="death", session=1), at=10)
    # The next run's cloud: its first pass finds the stored will; the edge reconnects within the window.
    w = World(store, toml)
    w.run(at=100)
    w.run(at=189)
    assert not any("edge_offline" in t for t in webhook.texts())
    w.edge(EdgeState(src="shed-a", seq=2, ts=T0 + 189_500, state="birth", session=2), at=189.5)
    w.run(at=200)  # back (and heard) in the window: no page at all
    assert not any("edge_offline" in t for t in webhook.texts())
    # An edge that stays away is alarmed once the window has passed: the wait never loses an outage.
    w.edge(EdgeState(src="shed-a", seq=3, ts=T0 + 500_000, state="death", session=2), at=500)
    w = World(store, toml)
    w.run(at=1000)
    assert not any("edge_offline" in t for t in webhook.texts())
    w.run(at=1090)
    assert sum("edge_offline" in t and "guard-li" in t for t in webhook.texts()) == 1
    # ... and stays alarmed across the next restart (never cleared by the wait).
    w = World(store, toml)
    w.run(at=2000)
    with store.engine.connect() as conn:
        open_keys = {str(a.key): a.active for a, _ in AlarmRepo(conn, sqlite=store.is_sqlite).open_alarms("shed-a")}
    assert open_keys.get("shed-a/-/0/edge_offline") is True
