"""Charging sessions on the wire: shed mode, start_session / stop_session commands, the three session events."""

import tomllib
from typing import Any

import orjson
import pytest

from protocol.codec import decode, encode
from protocol.errors import PayloadError
from protocol.examples import T0
from protocol.shedfile import ShedFileError, parse_shed_document
from protocol.topics import Kind
from protocol.uplink import SessionEnded, SessionEndReason, SessionMeter, SessionStarted

BASE: dict[str, Any] = {
    "v": 1,
    "src": "cloud",
    "seq": 1,
    "ts": T0,
    "request_id": "c-1",
    "expires_at": T0 + 60_000,
    "actor": "resident:u-1",
}
START = {**BASE, "action": "start_session", "device": "post-1", "socket": 3, "session": "s-1"}


def _command(**doc: Any) -> Any:
    return decode(Kind.CLOUD_COMMAND, orjson.dumps(doc))


def _refused(doc: dict[str, Any], reason: str, text: str) -> None:
    with pytest.raises(PayloadError) as info:
        _command(**doc)
    assert info.value.reason == reason, info.value
    assert text in str(info.value)


def test_start_session_with_and_without_limits() -> None:
    plain = _command(**START)
    assert (plain.session, plain.limit_wh, plain.limit_s) == ("s-1", None, None)
    both = _command(**START, limit_wh=500, limit_s=3600.5)
    assert (both.limit_wh, both.limit_s) == (500.0, 3600.5)
    edge = _command(**START, limit_wh=20_000, limit_s=86_400)
    assert (edge.limit_wh, edge.limit_s) == (20_000.0, 86_400.0)


@pytest.mark.parametrize(
    ("change", "reason", "text"),
    [
        ({"limit_wh": 0}, "invalid_value", "limit_wh"),
        ({"limit_wh": -1.0}, "invalid_value", "limit_wh"),
        ({"limit_wh": 20_000.1}, "invalid_value", "limit_wh"),
        ({"limit_s": 0}, "invalid_value", "limit_s"),
        ({"limit_s": 86_401}, "invalid_value", "limit_s"),
        ({"limit_s": "60"}, "wrong_type", "limit_s"),
        ({"session": ""}, "invalid_value", "session"),
        ({"session": "x" * 65}, "invalid_value", "session"),
        ({"session": "a.b"}, "invalid_value", "session"),
        ({"session": "a/b"}, "invalid_value", "session"),
        ({"session": None}, "invalid_value", "start_session needs session"),
        ({"device": None, "socket": None}, "invalid_value", "start_session needs device and socket"),
        ({"socket": None}, "invalid_value", "needs device and socket"),
    ],
)
def test_start_session_refusals_name_the_field(change: dict[str, Any], reason: str, text: str) -> None:
    doc = {k: v for k, v in {**START, **change}.items() if v is not None}
    _refused(doc, reason, text)


def test_stop_session_needs_only_the_session() -> None:
    stop = _command(**BASE, action="stop_session", session="s-1")
    assert (stop.session, stop.device, stop.socket) == ("s-1", None, None)
    targeted = _command(**BASE, action="stop_session", session="s-1", device="post-1", socket=3)
    assert (targeted.device, targeted.socket) == ("post-1", 3)
    _refused({**BASE, "action": "stop_session"}, "invalid_value", "stop_session needs session")
    _refused({**BASE, "action": "stop_session", "session": "s-1", "limit_s": 60}, "invalid_value", "no limit")
    _refused({**BASE, "action": "stop_session", "session": "s-1", "device": "post-1"}, "invalid_value", "together")


def test_other_actions_take_no_session_or_limit() -> None:
    sock = {**BASE, "action": "stop_socket", "device": "post-1", "socket": 3}
    _refused({**sock, "session": "s-1"}, "invalid_value", "stop_socket takes no session")
    _refused({**sock, "limit_wh": 10}, "invalid_value", "stop_socket takes no limit")
    _refused({**BASE, "action": "reset_trip", "limit_s": 10}, "invalid_value", "reset_trip takes no limit")


def test_session_events_round_trip_and_validate() -> None:
    common = {"src": "shed-a", "seq": 5, "ts": T0, "session": "s-1", "device": "post-1", "socket": 3}
    events = [
        SessionStarted(**common, limit_s=7200.0),
        SessionMeter(**common, energy_wh=12.5, duration_s=60.0),
        SessionEnded(**common, energy_wh=250.0, duration_s=3600.0, reason=SessionEndReason.FULL),
    ]
    for ev in events:
        assert decode(Kind.EDGE_EVENT, encode(ev)) == ev
    bad = [
        ("session_meter", {"energy_wh": -0.1, "duration_s": 1.0}, "energy_wh"),
        ("session_meter", {"energy_wh": 1.0, "duration_s": -1.0}, "duration_s"),
        ("session_ended", {"energy_wh": 1.0, "duration_s": 1.0, "reason": "bored"}, "reason"),
        ("session_ended", {"energy_wh": 1.0, "duration_s": 1.0}, "reason"),
        ("session_started", {"limit_wh": 0}, "limit_wh"),
        ("session_started", {"session": "s 1"}, "session"),
    ]
    for etype, fields, name in bad:
        doc = {"v": 1, **common, "type": etype, **fields}
        with pytest.raises(PayloadError, match=name):
            decode(Kind.EDGE_EVENT, orjson.dumps(doc))
    assert [r.value for r in SessionEndReason] == [
        "full",
        "unplugged",
        "stopped",
        "limit_energy",
        "limit_time",
        "interlock",
        "fault",
        "removed",
    ]


def test_shed_mode_defaults_open_and_reads_from_toml() -> None:
    def parse(text: str) -> str:
        return parse_shed_document(tomllib.loads(text)).shed.mode

    assert parse('[shed]\nshed = "shed-a"\n') == "open"
    assert parse('[shed]\nshed = "shed-a"\nmode = "authorised"\n') == "authorised"
    with pytest.raises(ShedFileError, match="mode"):
        parse('[shed]\nshed = "shed-a"\nmode = "paid"\n')
