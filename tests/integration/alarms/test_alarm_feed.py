"""The stream's alarm feed: each ``alarm`` event carries the alarm's state right after its own change.

Several transitions of one alarm land between two polls (a comment, an assignment, then an acknowledgement, then
the clear): each event must say the state that change left, not the alarm's state when the feed read it.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud.alarms.repo import AlarmRepo
from cloud.core.alarms.inputs import Acknowledge, Actor, AlarmInput, Assign, Clear, Comment, Raise
from cloud.core.alarms.lifecycle import decide
from cloud.core.alarms.model import Alarm, AlarmKey
from cloud.core.alarms.replay import states
from cloud.state.store import StateStore
from cloud.stream.alarm_feed import AlarmFeed
from cloud.stream.hub import Hub
from protocol.config import ShedConfig
from protocol.uplink import AlarmClass

pytestmark = pytest.mark.integration
T0 = 1_767_225_600_000
KEY = AlarmKey("shed-a", "post-1", 3, "socket_overtemp")
GUARD = Actor("guard-li")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    s.migrate()
    s.register_shed(ShedConfig.model_validate({"shed": "shed-a"}))
    yield s
    s.close()


def apply(store: StateStore, alarm: Alarm | None, inp: AlarmInput, now: int) -> Alarm:
    """What the alarm service does with one input: the alarm stored, its audit line appended."""
    out = decide(alarm, inp, now)
    assert out.alarm is not None and out.audit is not None, out.refused
    with store.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=True)
        repo.save_alarm(out.alarm, None, now)
        repo.audit(out.alarm, out.audit, now)
    return out.alarm


def test_each_event_carries_the_state_its_own_change_left(store: StateStore) -> None:
    loop = asyncio.new_event_loop()
    try:
        feed = AlarmFeed(store.engine, Hub(), loop, community_of=lambda shed: "c1")
        feed.start()
        feed.stop()  # polled by hand below
        alarm = apply(store, None, Raise(KEY, AlarmClass.SUPERVISORY, "62 C"), T0)
        first, _ = feed.collect()
        assert [(o.data["action"], o.data["state"]) for o in first] == [("raised", "unack")]
        # Between two polls: commented and assigned while unacknowledged, then acknowledged, then cleared.
        for n, inp in enumerate(
            [Comment(GUARD, "going"), Assign(GUARD, "guard-li"), Acknowledge(GUARD), Comment(GUARD, "cooling")]
        ):
            alarm = apply(store, alarm, inp, T0 + 1000 * (n + 1))
        apply(store, alarm, Clear(KEY), T0 + 9000)
        out, count = feed.collect()
        assert count == 5
        assert [(o.data["action"], o.data["state"]) for o in out] == [
            ("commented", "unack"),
            ("assigned", "unack"),
            ("acknowledged", "acked"),
            ("commented", "acked"),
            ("cleared", "normal"),
        ]
        # A feed started later replays the instance's earlier lines for a comment on the closed alarm.
        late = AlarmFeed(store.engine, Hub(), loop, community_of=lambda shed: "c1")
        late.start()
        late.stop()
        apply(store, alarm, Comment(GUARD, "after the fact"), T0 + 10_000)
        out, _ = late.collect()
        assert [(o.data["action"], o.data["state"]) for o in out] == [("commented", "normal")]
        assert feed.collect()[0][0].data["state"] == "normal"
    finally:
        loop.close()


def test_replay_matches_the_lifecycle() -> None:
    seq: list[AlarmInput] = [Raise(KEY, AlarmClass.TROUBLE), Clear(KEY), Raise(KEY, AlarmClass.TROUBLE)]
    seq += [Acknowledge(GUARD), Clear(KEY)]
    alarm: Alarm | None = None
    actions, expected = [], []
    for n, inp in enumerate(seq):
        out = decide(alarm, inp, T0 + n)
        assert out.alarm is not None and out.audit is not None
        alarm = out.alarm
        actions.append(out.audit.action)
        expected.append(alarm.state)
    assert actions == ["raised", "cleared", "returned", "acknowledged", "cleared"]
    assert states(actions) == expected
    assert states(["commented", "acknowledged"]) == [None, None]  # no raised line seen: unknown
