"""Domain events round-trip through JSON; the bus delivers in order; the cursor admits each event once."""

from hypothesis import given
from hypothesis import strategies as st

from cloud.bus.local import Bus
from cloud.core.cursor import Cursor
from cloud.core.eventcodec import event_from_json, event_to_json
from cloud.core.events import (
    AnyEvent,
    CommandAnswered,
    EdgeAlarmCleared,
    EdgeAlarmRaised,
    EdgeOffline,
    EdgeOnline,
    GapDetected,
    InterlockActed,
    SocketStatusChanged,
)
from protocol.uplink import AlarmClass, SocketStatus

BASE = {"shed": "shed-a", "seq": 7, "ts": 1_767_225_600_000, "received_at": 1_767_225_600_050, "position": 3}
ALL: list[AnyEvent] = [
    SocketStatusChanged(**BASE, device="post-1", socket=2, status=SocketStatus.FULL, previous=SocketStatus.CHARGING),
    EdgeOnline(**BASE, session=4, config_version=2),
    EdgeOffline(**BASE, session=4),
    EdgeAlarmRaised(
        **BASE, alarm_id="a1", alarm_class=AlarmClass.FIRE, alarm_type="smoke", device="smoke-1", value=9.0, threshold=8
    ),
    EdgeAlarmCleared(**BASE, alarm_id="a1", alarm_class=AlarmClass.FIRE, alarm_type="smoke"),
    InterlockActed(**BASE, action="cut", scope="socket", reason="over_temp", device="post-1", socket=2, latched=True),
    CommandAnswered(**BASE, request_id="r-1", status="applied"),
    GapDetected(**BASE, first=5, last=7),
]


def test_every_event_type_round_trips_through_json() -> None:
    for event in ALL:
        assert event_from_json(event_to_json(event)) == event


def test_bus_delivers_in_order_filters_by_kind_and_survives_a_failing_subscriber() -> None:
    bus = Bus()
    seen: list[AnyEvent] = []
    sockets: list[AnyEvent] = []

    def broken(_e: AnyEvent) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken, name="broken")
    bus.subscribe(seen.append, name="all")
    sub = bus.subscribe(sockets.append, name="sockets", kinds=(SocketStatusChanged,))
    bus.publish(ALL)
    assert seen == ALL
    assert sockets == [ALL[0]]
    assert bus.failures["broken"] == len(ALL)
    sub.unsubscribe()
    bus.publish(ALL[:1])
    assert sockets == [ALL[0]] and len(seen) == len(ALL) + 1


def test_a_handler_may_unsubscribe_itself() -> None:
    bus = Bus()
    got: list[AnyEvent] = []

    def once(e: AnyEvent) -> None:
        got.append(e)
        sub.unsubscribe()

    sub = bus.subscribe(once)
    bus.publish(ALL)
    assert got == [ALL[0]]


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(1, 8)), max_size=40))
def test_cursor_admits_each_position_once_in_order(arrivals: list[tuple[str, int]]) -> None:
    cursor = Cursor()
    admitted: dict[str, list[int]] = {"a": [], "b": []}
    for shed, pos in arrivals:
        e = CommandAnswered(shed=shed, seq=pos, ts=0, received_at=0, position=pos, request_id="r", status="applied")
        if cursor.admit(e):
            admitted[shed].append(pos)
    for positions in admitted.values():
        assert positions == list(range(1, len(positions) + 1))
    assert cursor.behind({"a": 9, "b": 0}) == ({"a": len(admitted["a"])} if len(admitted["a"]) < 9 else {})
