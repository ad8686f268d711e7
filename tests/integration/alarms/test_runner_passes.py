"""How the leader loop orders its passes, over a real SQLite state store and a real webhook receiver.

Edge events are applied between the steps of a timer pass, chattering clears held in memory are stored when
their off-delay ends, and a loop that does not lead or whose pass fails waits a tick instead of spinning.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud.alarms.config import load_alarm_config
from cloud.alarms.repo import AlarmRepo
from cloud.alarms.runner import AlarmRunner
from cloud.alarms.service import AlarmService
from cloud.core.alarms.model import AlarmKey, Lifecycle
from cloud.core.batch import Batch
from cloud.state.store import StateStore
from protocol.clock import SystemClock
from protocol.config import ShedConfig
from protocol.uplink import AlarmClass
from tests.integration.alarms.conftest import rota_toml
from tests.integration.alarms.edge_alarms import edge_alarm
from tests.integration.alarms.receivers import HttpReceiver
from tests.waiting import wait_until

pytestmark = pytest.mark.integration
T0 = 1_767_225_600_000
SECRET = b"test-link-secret-0123456789"
KEY = AlarmKey("shed-a", "env-1", 0, "smoke")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    s.migrate()
    s.register_shed(ShedConfig.model_validate({"shed": "shed-a", "sensors": ["env-1", "env-2"]}))
    yield s
    s.close()


@pytest.fixture
def config(tmp_path: Path, webhook: HttpReceiver) -> Path:
    hook = f"json://127.0.0.1:{webhook.port}"
    targets = {p: [f"{hook}/{p}"] for p in ("guard-li", "leader-wang", "manager-zhao")}
    path = tmp_path / "alarms.toml"
    path.write_text(rota_toml("http://cloud.local", targets))
    return path


class Edge:
    """Stores edge alarm events as ingest would."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.seq = 0

    def send(self, device: str, *, raised: bool, at_ms: int) -> None:
        self.seq += 1
        event = edge_alarm(
            "shed-a",
            self.seq,
            at_ms,
            alarm_type="smoke",
            alarm_class=AlarmClass.FIRE,
            device=device,
            message="smoke",
            raised=raised,
        )
        batch = Batch()
        batch.events.append((event, at_ms))
        self.store.write(batch)


def _state(store: StateStore, key: AlarmKey) -> Lifecycle | None:
    with store.engine.connect() as conn:
        found = AlarmRepo(conn, sqlite=True).latest_alarm(key)
    return None if found is None else found[0].state


def _service(store: StateStore, config: Path) -> AlarmService:
    return AlarmService(store.engine, sqlite=True, config=load_alarm_config(config), link_secret=SECRET)


def test_a_timer_pass_applies_edge_events_between_its_steps(store: StateStore, config: Path) -> None:
    service = _service(store, config)
    edge = Edge(store)
    service.run_once(T0)  # registers the shed's facts; nothing active
    calls: list[int] = []

    def between(now: int) -> int:
        calls.append(now)
        if len(calls) == 1:
            # An alarm that arrives while the timer pass runs is applied and paged before the pass ends.
            edge.send("env-1", raised=True, at_ms=now)
            service.run_events(now + 5)
            return now + 5
        return now

    service.run_timers(T0 + 1000, between=between)
    assert len(calls) >= 3  # before the dampers, tick and paging
    assert calls[1:] == [T0 + 1005] * (len(calls) - 1)  # the later steps run at the time the hook gave back
    assert _state(store, KEY) is Lifecycle.UNACK
    with store.engine.connect() as conn:
        queued = conn.exec_driver_sql("SELECT count(*) FROM alerts WHERE step = 'open'").scalar_one()
    assert queued == 2  # a fire pages the guard and the shift leader at once, from inside the timer pass


def test_a_held_clear_of_a_chattering_alarm_is_stored_when_its_off_delay_ends(store: StateStore, config: Path) -> None:
    service = _service(store, config)
    edge = Edge(store)
    for i in range(3):  # three raises within a minute: chattering (EEMUA 191)
        edge.send("env-1", raised=True, at_ms=T0 + i * 10_000)
        service.run_events(T0 + i * 10_000)
        edge.send("env-1", raised=False, at_ms=T0 + i * 10_000 + 1000)
        service.run_events(T0 + i * 10_000 + 1000)
    held_at = T0 + 21_000
    # A quiet second key keeps its damper too, with nothing held: it must survive the pass untouched.
    edge.send("env-2", raised=True, at_ms=held_at)
    service.run_events(held_at)
    assert _state(store, KEY) is Lifecycle.UNACK  # the third clear is held
    service.run_timers(held_at + 30_000)
    assert _state(store, KEY) is Lifecycle.UNACK
    service.run_timers(held_at + 60_000)  # the off-delay has passed: the clear is stored
    assert _state(store, KEY) is Lifecycle.RTN_UNACK
    assert _state(store, AlarmKey("shed-a", "env-2", 0, "smoke")) is Lifecycle.UNACK


def _count_calls(obj: object, name: str) -> list[float]:
    calls: list[float] = []
    original = getattr(obj, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(time.monotonic())
        return original(*args, **kwargs)

    setattr(obj, name, counted)
    return calls


def test_a_runner_that_does_not_lead_waits_a_tick_between_tries(store: StateStore, config: Path) -> None:
    other = StateStore(store.url)
    leader = AlarmRunner(store, SystemClock(), config=load_alarm_config(config), secret=SECRET, tick_s=0.2)
    follower = AlarmRunner(other, SystemClock(), config=load_alarm_config(config), secret=SECRET, tick_s=0.2)
    tries = _count_calls(follower.leadership, "try_acquire")
    try:
        assert leader.leadership.try_acquire()
        follower.start()
        time.sleep(1.0)
        assert 1 <= len(tries) <= 10  # about one a tick (5), never a busy loop
    finally:
        follower.stop()
        leader.stop()
        other.close()


def test_a_failing_pass_is_retried_a_tick_later_not_at_once(store: StateStore, config: Path) -> None:
    runner = AlarmRunner(store, SystemClock(), config=load_alarm_config(config), secret=SECRET, tick_s=0.2)

    def broken(now: int) -> int:
        raise RuntimeError("a bad row")

    runner.service.run_events = broken  # type: ignore[method-assign]
    try:
        runner.start()
        wait_until(lambda: runner.errors >= 1, timeout=10, what="a failed pass")
        time.sleep(1.0)
        assert runner.errors <= 12  # about one a tick (5 in that second), never a busy loop
    finally:
        runner.stop()


def test_an_edge_alarm_wakes_the_runner_and_is_delivered_while_timers_keep_their_tick(
    store: StateStore, config: Path, webhook: HttpReceiver
) -> None:
    runner = AlarmRunner(store, SystemClock(), config=load_alarm_config(config), secret=SECRET, tick_s=0.2)
    timer_passes = _count_calls(runner.service, "run_timers")
    edge = Edge(store)
    try:
        runner.start()
        wait_until(lambda: len(timer_passes) >= 2, timeout=10, what="two timer passes")
        edge.send("env-1", raised=True, at_ms=int(time.time() * 1000))
        runner.wake()
        wait_until(lambda: len(webhook.texts()) >= 2, timeout=10, what="the guard's and the leader's alerts")
        first = len(timer_passes)
        time.sleep(1.0)
        assert 2 <= len(timer_passes) - first <= 10  # about one a tick (5), held back at most a tick by events
    finally:
        runner.stop()
    refs = sorted(t.rsplit("Ref: ", 1)[-1].split("/", 1)[1] for t in webhook.texts())
    assert refs == ["open/guard-li", "open/leader-wang"]  # each once


def test_cloud_rules_make_way_for_events_every_few_sheds(store: StateStore, config: Path) -> None:
    from cloud.alarms.service import SHEDS_PER_TRANSACTION

    for i in range(25):
        store.register_shed(ShedConfig.model_validate({"shed": f"shed-{i:02d}"}))
    service = _service(store, config)
    calls: list[int] = []

    def between(now: int) -> int:
        calls.append(now)
        return now

    service.run_timers(T0, between=between)
    chunks = -(-26 // SHEDS_PER_TRANSACTION)  # shed-a and the 25
    # between the rule chunks, then before the dampers, tick, paging and rerouting alerts to changed targets
    assert len(calls) == (chunks - 1) + 4
