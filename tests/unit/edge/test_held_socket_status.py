"""A socket the edge holds off keeps its status: no session starts under a stop or a latch, none survives its end."""

from edge.actions import Relay
from protocol.device import RelayResult
from protocol.uplink import SessionEnded, SocketStatus, SocketStatusChanged
from tests.unit.edge.scenario import make_input
from tests.unit.edge.test_charging_session_rules import Shed, authorised, charging


def _statuses(shed: Shed, socket: int = 1) -> list[tuple[SocketStatus, str | None]]:
    return [(e.status, e.session_id) for e in shed.events(SocketStatusChanged) if e.socket == socket]


def test_a_stopped_socket_reporting_its_relay_closed_is_cut_and_stays_plugged_without_a_session() -> None:
    shed = authorised(mode="open")
    shed.reading(0.0, relay=False)
    assert _statuses(shed)[-1] == (SocketStatus.PLUGGED, None)
    assert shed.command("stop_socket", device="post-1", socket=1).result.status == "applied"
    shed.confirm()
    before = len(_statuses(shed))
    shed.advance(1)
    out = shed.reading(200.0)  # the post closed the relay on its own (a button, its firmware)
    assert [(a.on, a.reason) for a in out if isinstance(a, Relay)] == [(False, "operator_stop")]
    assert shed.sock().session_id is None
    assert _statuses(shed)[before:] == [], "a stopped socket is not charging, nor in a session"


def test_a_tripped_socket_reporting_its_relay_closed_starts_no_session() -> None:
    shed = authorised(mode="open")
    shed.reading(0.0, relay=False)
    shed.reading(5000.0)  # over power: latched, cut
    assert shed.sock().trip == "over_power"
    assert shed.sock().session_id is None
    assert {s for s, _sid in _statuses(shed)} <= {SocketStatus.PLUGGED, SocketStatus.FAULTED}


def test_after_a_reset_an_authorised_socket_does_not_show_a_session_that_ended() -> None:
    shed = charging()
    shed.advance(1)
    shed.feed(make_input({"environment": {"smoke_obscuration_pct_m": 20.0}}, shed.now))  # a shed trip ends s-1
    assert [e.session for e in shed.events(SessionEnded)] == ["s-1"]
    [off] = [a for a in shed.relays() if not a.on]
    # the post answers the off; no reading shows the relay open before the reset
    shed.feed(
        RelayResult(src="post-1", seq=999, ts=shed.now, request_id=off.request_id, socket=1, ok=True, relay=False)
    )
    shed.advance(1)
    shed.feed(make_input({"environment": {"smoke_obscuration_pct_m": 0.0}}, shed.now))
    assert shed.command("reset_trip").result.status == "applied"
    before = len(_statuses(shed))
    shed.advance(1)
    shed.reading(200.0)  # the post closes the relay again: no session, refused
    assert all(sid != "s-1" for _status, sid in _statuses(shed)[before:]), _statuses(shed)[before:]
    assert SocketStatus.CHARGING not in {status for status, _sid in _statuses(shed)[before:]}
    assert shed.sock().session_id is None


def test_a_push_that_drops_a_charging_socket_reports_it_free_without_a_session() -> None:
    shed = authorised(mode="open")
    shed.reading(200.0)
    assert _statuses(shed)[-1][0] == SocketStatus.CHARGING
    before = len(_statuses(shed))
    one = shed.state.config.posts[0].model_copy(update={"sockets": 3, "id": "post-9"})
    config = shed.state.config.model_copy(update={"version": 2, "posts": [one]})  # post-1 is dropped
    shed.feed(make_input({"command": {"action": "push_config", "config": config.model_dump(mode="json")}}, shed.now))
    assert [(a.socket, a.reason) for a in shed.relays() if not a.on][-1:] == [(1, "decommissioned")]
    assert _statuses(shed)[before:] == [(SocketStatus.FREE, None)]
