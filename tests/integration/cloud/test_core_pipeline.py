"""The cloud core's pipeline on real SQLite and PostgreSQL: decided live state survives a restart, the bus keeps
per-shed order, a durable subscriber catches up after downtime, a second process follows the feed."""

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud.api.live import LiveView
from cloud.bus.durable import DurableSubscriber
from cloud.bus.follower import FeedFollower
from cloud.bus.local import Bus
from cloud.bus.publish import Committed
from cloud.core.cursor import Cursor
from cloud.core.events import AnyEvent, CommandAnswered, EdgeOffline, EdgeOnline, SocketStatusChanged
from cloud.core.live import LiveState
from cloud.state.store import StateStore
from protocol.uplink import CommandResult, EdgeHeartbeat, EdgeState
from protocol.uplink import SocketStatus as S
from tests.integration.cloud.helpers import T0, batch_of, birth, status
from tests.integration.cloud.postgres import fresh_schema

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    with fresh_schema() as pg:
        yield pg


def _open(url: str) -> StateStore:
    s = StateStore(url)
    s.migrate()
    return s


def _traffic(rnd: random.Random, shed: str, n: int) -> list[object]:
    """A shed's messages: births, deaths, heartbeats, status changes, results, with replays."""
    out: list[object] = [birth(shed, 0, {("post-1", k): S.FREE for k in range(1, 4)}, session=1)]
    session = 1
    for seq in range(1, n + 1):
        roll = rnd.random()
        if roll < 0.05:
            out.append(EdgeState(src=shed, seq=seq - 1, ts=T0 + seq, state="death", session=session))
            session += 1
            snap = {("post-1", k): rnd.choice(list(S)) for k in range(1, rnd.randint(2, 4))}
            out.append(birth(shed, seq - 1, snap, session=session))
        elif roll < 0.1:
            hb_session = session - rnd.randint(0, 1)
            out.append(EdgeHeartbeat(src=shed, seq=seq - 1, ts=T0, session=hb_session, uptime_s=1, outbox_depth=seq))
        if roll > 0.9:
            out.append(CommandResult(src=shed, seq=seq, ts=T0, request_id=f"r-{seq}", status="applied"))
        else:
            out.append(status(shed, seq, "post-1", rnd.randint(1, 3), rnd.choice(list(S))))
    out += rnd.sample(out, k=5)  # replays
    return out


def test_live_state_after_restart_equals_the_one_that_never_stopped(url: str) -> None:
    rnd = random.Random(11)
    store = _open(url)
    view = LiveView(LiveState(), {})
    bus = Bus()
    committed = Committed(bus, view)
    messages = _traffic(rnd, "shed-a", 120) + _traffic(rnd, "shed-b", 80)
    rnd.shuffle(messages)
    for i in range(0, len(messages), 7):
        result = store.write(batch_of(*messages[i : i + 7]))
        committed(result.events, result.sheds)
    never_stopped = view.snapshot()
    store.close()
    restarted = _open(url)
    rebuilt = restarted.load_live().sheds
    assert set(rebuilt) == {"shed-a", "shed-b"}
    assert rebuilt == never_stopped
    assert restarted.load_live().availability({}) == LiveState(never_stopped).availability({})
    restarted.close()


def test_bus_delivers_each_sheds_events_once_in_feed_order(url: str) -> None:
    store = _open(url)
    bus = Bus()
    got: list[AnyEvent] = []
    bus.subscribe(got.append)
    committed = Committed(bus)
    for seq in range(1, 21):
        batch = batch_of(
            status("shed-a", seq, "post-1", 1, [S.CHARGING, S.FULL][seq % 2]),
            status("shed-b", seq, "p", 1, S.FREE if seq == 1 else [S.CHARGING, S.PLUGGED][seq % 2]),
        )
        result = store.write(batch)
        committed(result.events, result.sheds)
    for shed in ("shed-a", "shed-b"):
        mine = [e for e in got if e.shed == shed]
        assert [e.position for e in mine] == list(range(1, 21))
        assert [e.seq for e in mine] == list(range(1, 21))
        assert all(isinstance(e, SocketStatusChanged) for e in mine)
    # The store's feed holds the same events, in the same order.
    assert store.read_feed("shed-a", 0) == [e for e in got if e.shed == "shed-a"]
    store.close()


def test_a_durable_subscriber_catches_up_after_downtime(url: str) -> None:
    store = _open(url)
    bus = Bus()
    committed = Committed(bus)

    def write(*messages: object) -> None:
        result = store.write(batch_of(*messages))
        committed(result.events, result.sheds)

    seen: list[AnyEvent] = []
    sub = DurableSubscriber("alarms", seen.append, store=store, bus=bus, save_every=1)
    assert sub.start() == 0
    write(birth("shed-a", 0, {("post-1", 1): S.FREE}, session=1), status("shed-a", 1, "post-1", 1, S.CHARGING))
    assert [type(e) for e in seen] == [SocketStatusChanged, SocketStatusChanged]
    sub.stop()  # down
    write(status("shed-a", 2, "post-1", 1, S.FULL))
    write(EdgeState(src="shed-a", seq=2, ts=T0 + 3, state="death", session=1))
    write(CommandResult(src="shed-b", seq=1, ts=T0, request_id="r-1", status="applied"))
    missed: list[AnyEvent] = []
    again = DurableSubscriber("alarms", missed.append, store=store, bus=bus)
    assert again.start() == 3  # replayed from the store, in per-shed order
    assert [type(e) for e in missed] == [SocketStatusChanged, EdgeOffline, CommandAnswered]
    assert [e.position for e in missed if e.shed == "shed-a"] == [3, 4]
    write(birth("shed-a", 2, {("post-1", 1): S.FULL}, session=2))  # live again: each event once
    assert isinstance(missed[-1], EdgeOnline) and len(missed) == 4
    again.stop()
    store.close()


def test_a_second_process_follows_the_feed(url: str) -> None:
    ingest = _open(url)
    api = _open(url)
    view = LiveView(api.load_live(), {})
    bus = Bus()
    got: list[AnyEvent] = []
    bus.subscribe(got.append)
    follower = FeedFollower(api, Committed(bus, view))
    heads = api.feed_heads()
    ingest.write(batch_of(birth("shed-a", 0, {("post-1", 1): S.FREE}, session=1)))  # after the heads were read
    follower.cursor = Cursor(heads)
    ingest.write(batch_of(status("shed-a", 1, "post-1", 1, S.CHARGING)))
    assert follower.poll_once() == 2
    assert [e.position for e in got] == [1, 2]
    assert view.availability()[0].charging == 1
    assert follower.poll_once() == 0
    ingest.close()
    api.close()


def test_events_decided_outside_a_batch_join_the_sheds_feed_in_order(url: str) -> None:
    from cloud.core.events import GapDetected

    store = _open(url)
    store.write(batch_of(status("shed-a", 1, "post-1", 1, S.CHARGING)))
    (gap,) = store.append_events([GapDetected(shed="shed-a", seq=4, ts=T0, received_at=T0, first=2, last=4)])
    assert gap.position == 2
    assert [type(e) for e in store.read_feed("shed-a", 0)] == [SocketStatusChanged, GapDetected]
    store.close()
