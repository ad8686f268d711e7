"""Domain events become stream events: sockets, one availability per touched shed (last), alarms, sessions."""

from typing import Any

from cloud.core.events import (
    AnyEvent,
    CommandAnswered,
    EdgeAlarmRaised,
    EdgeOffline,
    SessionChanged,
    SocketRemoved,
    SocketStatusChanged,
    SocketStopChanged,
)
from cloud.stream.translate import translate
from protocol.uplink import AlarmClass, SocketStatus

COMMUNITY = {"shed-a": "c1", "shed-b": "c2"}


def counts(shed: str) -> dict[str, Any] | None:
    return {"shed": shed, "free": 1} if shed != "shed-x" else None


def test_a_batch_translates_in_order_with_availability_last() -> None:
    base: dict[str, Any] = {"seq": 3, "ts": 1000, "received_at": 1001}
    events: list[AnyEvent] = [
        SocketStatusChanged(shed="shed-a", device="p1", socket=2, status=SocketStatus.CHARGING, **base),
        EdgeAlarmRaised(
            shed="shed-b", alarm_id="a1", alarm_class=AlarmClass.FIRE, alarm_type="smoke", device="env-1", **base
        ),
        SocketRemoved(shed="shed-a", device="p1", socket=3, previous=SocketStatus.FREE, **base),
        EdgeOffline(shed="shed-b", session=2, **base),
        CommandAnswered(shed="shed-a", request_id="r1", status="applied", **base),  # not streamed
        SessionChanged(shed="shed-a", session_id="s1", user_id="u7", device="p1", socket=2, status="active", **base),
        EdgeOffline(shed="shed-x", session=1, **base),  # never heard of: no counts to send
    ]
    out = translate(events, community_of=lambda s: COMMUNITY.get(s, ""), availability_of=counts)
    assert [(o.type, o.community, o.owner) for o in out] == [
        ("socket", "c1", None),
        ("alarm", "c2", None),
        ("socket", "c1", None),
        ("session", "c1", "u7"),
        ("availability", "c1", None),
        ("availability", "c2", None),
    ]
    assert out[0].data == {
        "shed": "shed-a",
        "device": "p1",
        "socket": 2,
        "status": "charging",
        "previous": None,
        "seq": 3,
        "ts": 1000,
        "received_at": 1001,
    }
    assert out[2].data["status"] is None and out[2].data["previous"] == "free"
    assert out[1].data["state"] == "active" and out[1].data["alarm_class"] == "fire"
    assert out[3].data["session_id"] == "s1" and "user_id" not in out[3].data
    assert out[4].data == {"shed": "shed-a", "free": 1}


def test_an_operator_stop_is_a_socket_stop_event_and_moves_the_sheds_counts() -> None:
    base: dict[str, Any] = {"seq": 4, "ts": 2000, "received_at": 2001}
    events: list[AnyEvent] = [
        SocketStopChanged(shed="shed-b", device="p1", socket=1, stopped=True, actor="op-li", stopped_ts=2000, **base),
        SocketStopChanged(shed="shed-b", device="p1", socket=2, stopped=False, **base),
    ]
    out = translate(events, community_of=lambda s: COMMUNITY.get(s, ""), availability_of=counts)
    assert [(o.type, o.community) for o in out] == [
        ("socket_stop", "c2"),
        ("socket_stop", "c2"),
        ("availability", "c2"),
    ]
    assert out[0].data == {
        "shed": "shed-b",
        "device": "p1",
        "socket": 1,
        "stopped": True,
        "stopped_by": "op-li",
        "stopped_ts": 2000,
        "seq": 4,
        "ts": 2000,
        "received_at": 2001,
    }
    assert (out[1].data["stopped"], out[1].data["stopped_by"], out[1].data["stopped_ts"]) == (False, None, None)
