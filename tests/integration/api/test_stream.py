"""GET /api/v1/stream through a real uvicorn: scoping per role, pings, resume with Last-Event-ID, reset.

The cloud runs with ingest off and follows the state store's event feed (as an API process does when ingest
runs elsewhere); the test writes edge messages into the store as an ingest worker would.
"""

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cloud.core.access.roles import Role
from cloud.core.batch import Batch
from cloud.core.events import EdgeAlarmRaised, SessionChanged
from protocol.config import PostSpec, ShedConfig
from protocol.uplink import AlarmClass, AlarmRaised, EdgeState, SocketStatus
from tests.apiauth import bearer
from tests.integration.api.conftest import Served
from tests.integration.api.sse import Frame, data, events, read_until
from tests.integration.cloud.helpers import T0, birth, operator, status
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def as_(served: Served, role: Role, community: str = "c1", user_id: str = "u1") -> dict[str, str]:
    return bearer(served.app.state.cloud.settings, role, (community,), user_id=user_id)


def register(served: Served) -> None:
    config = ShedConfig(shed="shed-a", community="c1", posts=[PostSpec(id="post-1")])
    served.app.state.cloud.stores.state.import_inventory(config, actor="t", now_ms=T0)
    known_in_c1(served)


def known_in_c1(served: Served) -> None:
    """Wait until this process's inventory refresh has put shed-a in c1: a stream scopes by it."""
    live = served.app.state.cloud.live
    wait_until(lambda: live.community("shed-a") == "c1" or None, timeout=20, what="shed-a known in c1")


def start(serve: Callable[..., Served]) -> Served:
    served = serve(stream_ping_s=0.3, live_poll_s=0.05, inventory_refresh_s=0.1)
    register(served)
    return served


def write(served: Served, *messages: object) -> None:
    batch = Batch()
    for m in messages:
        (batch.states if isinstance(m, EdgeState) else batch.events).append((m, T0))  # type: ignore[arg-type]
    served.app.state.cloud.stores.state.write(batch)


def has(kind: str, shed_status: str | None = None) -> Callable[[list[Frame]], bool]:
    def done(got: list[Frame]) -> bool:
        return any(
            f.get("event") == kind and (shed_status is None or data(f).get("status") == shed_status) for f in got
        )

    return done


def test_each_caller_sees_its_scope_and_pings(serve: Callable[..., Served]) -> None:
    served = start(serve)
    url = f"{served.base}/api/v1/stream"
    timeout = httpx.Timeout(20.0)
    with (
        httpx.Client(timeout=timeout) as client,
        client.stream("GET", url) as anon,
        client.stream("GET", url, headers=as_(served, Role.OPERATOR)) as op,
        client.stream("GET", url, headers=as_(served, Role.OPERATOR, "c2", "op2")) as other,
    ):
        assert anon.status_code == 200 and anon.headers["content-type"].startswith("text/event-stream")
        # A ping before anything happens: id, the server's time.
        ping = read_until(anon, has("ping"))[-1]
        assert ping["id"].endswith("-0") and int(ping["data"]) > 0
        # The inventory refresh puts shed-a in c1 (0.1 s here) before the edge speaks.
        time.sleep(0.5)
        write(
            served,
            birth("shed-a", 0, {("post-1", 1): SocketStatus.FREE}),
            status("shed-a", 1, "post-1", 1, SocketStatus.CHARGING),
        )
        got_op = events(
            read_until(
                op, lambda g: sum(f.get("event") == "availability" for f in g) >= 1 and has("socket", "charging")(g)
            )
        )
        kinds = [f["event"] for f in got_op]
        assert "socket" in kinds and "availability" in kinds
        charging = next(data(f) for f in got_op if f["event"] == "socket" and data(f)["status"] == "charging")
        assert charging == {
            "shed": "shed-a",
            "device": "post-1",
            "socket": 1,
            "status": "charging",
            "previous": "free",
            "seq": 1,
            "ts": T0 + 1000,
            "received_at": T0,
        }
        got_anon = events(read_until(anon, lambda g: any(data(f).get("charging") == 1 for f in events(g))))
        assert {f["event"] for f in got_anon} == {"availability"}  # no socket events for the public
        last = data(got_anon[-1])
        assert last["shed"] == "shed-a" and last["community"] == "c1" and last["charging"] == 1
        got_other = events(read_until(other, lambda g: any(data(f).get("charging") == 1 for f in events(g))))
        assert {f["event"] for f in got_other} == {"availability"}  # c2's operator: only what is public
        # The shed is full now: its ETA is estimated in the background and sent as its availability again.
        eta = events(read_until(anon, lambda g: any(data(f).get("eta_ts") for f in events(g))))[-1]
        assert data(eta)["free"] == 0 and data(eta)["next_free_s"] > 0
        assert all(int(f["id"].split("-")[1]) > 0 for f in got_op + got_anon + got_other)
        assert len(served.app.state.cloud.stream.clients) == 3
    # Gone clients leave the hub.
    assert wait_until(lambda: not served.app.state.cloud.stream.clients, timeout=10, what="clients to leave")


def test_reconnecting_with_last_event_id_resumes_without_loss(serve: Callable[..., Served]) -> None:
    served = start(serve)
    url = f"{served.base}/api/v1/stream"
    op = as_(served, Role.OPERATOR)
    time.sleep(0.5)
    with httpx.Client(timeout=httpx.Timeout(20.0)) as client:
        with client.stream("GET", url, headers=op) as first:
            write(served, birth("shed-a", 0, {("post-1", n): SocketStatus.FREE for n in (1, 2, 3)}))
            got = events(read_until(first, has("availability")))
        resume_from = got[-1]["id"]
        # While disconnected: three sockets start charging.
        write(served, *(status("shed-a", n, "post-1", n, SocketStatus.CHARGING) for n in (1, 2, 3)))
        time.sleep(0.5)  # the feed follower has published them
        with client.stream("GET", url, headers={**op, "Last-Event-ID": resume_from}) as again:
            got = events(read_until(again, lambda g: sum(f.get("event") == "socket" for f in g) >= 3))
        sockets = [data(f)["socket"] for f in got if f["event"] == "socket"]
        assert sorted(sockets) == [1, 2, 3]  # each once (the store orders a batch by its own rules)
        ids = [int(f["id"].split("-")[1]) for f in got]
        assert ids == sorted(ids) and ids[0] == int(resume_from.split("-")[1]) + 1
        with client.stream("GET", url, headers={**op, "Last-Event-ID": "1-1"}) as stale:
            reset = events(read_until(stale, has("reset")))[0]
        assert data(reset) == {"reason": "unknown id", "last_event_id": "1-1"}


def test_sessions_reach_their_owner_and_alarms_reach_staff_only(serve: Callable[..., Served]) -> None:
    served = start(serve)
    url = f"{served.base}/api/v1/stream"
    write(served, birth("shed-a", 0, {("post-1", 1): SocketStatus.FREE}))
    base: dict[str, Any] = {"shed": "shed-a", "seq": 0, "ts": T0, "received_at": T0}
    session = SessionChanged(**base, session_id="s1", user_id="u1", device="post-1", socket=1, status="active")
    alarm = EdgeAlarmRaised(**base, alarm_id="a1", alarm_class=AlarmClass.FIRE, alarm_type="smoke", device="env-1")
    with (
        httpx.Client(timeout=httpx.Timeout(20.0)) as client,
        client.stream("GET", url, headers=as_(served, Role.RESIDENT, user_id="u1")) as owner,
        client.stream("GET", url, headers=as_(served, Role.RESIDENT, user_id="u2")) as neighbour,
        client.stream("GET", url, headers=as_(served, Role.SECURITY, user_id="s9")) as guard,
        client.stream("GET", url, headers=as_(served, Role.INSTALLER, "c2", "i9")) as elsewhere,
    ):
        for r in (owner, neighbour, guard, elsewhere):
            read_until(r, has("ping"))  # every stream is open before anything is published
        served.app.state.cloud.bus.publish([session, alarm])
        write(served, status("shed-a", 1, "post-1", 1, SocketStatus.CHARGING))  # then an availability for all

        def kinds(r: httpx.Response) -> list[str]:
            got = events(read_until(r, lambda g: any(data(f).get("charging") == 1 for f in events(g))))
            return [f["event"] for f in got if f["event"] != "availability"]

        assert kinds(owner) == ["session"]
        assert kinds(neighbour) == []
        assert kinds(guard) == ["alarm", "socket"]  # security: no personal data
        assert kinds(elsewhere) == []  # another community's installer
    assert httpx.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_the_alarm_service_s_alarms_and_incidents_reach_responders(serve: Callable[..., Served]) -> None:
    served = serve(stream_ping_s=0.3, live_poll_s=0.05, inventory_refresh_s=0.1, alarms=True, stream_alarm_poll_s=0.1)
    store = served.app.state.cloud.stores.state
    store.import_inventory(
        ShedConfig(shed="shed-a", community="c1", posts=[PostSpec(id="post-1")]), actor="t", now_ms=T0
    )
    url = f"{served.base}/api/v1/stream"
    known_in_c1(served)
    fire = AlarmRaised(
        src="shed-a", seq=1, ts=T0, alarm_id="shed-a/smoke/env-1", alarm_class=AlarmClass.FIRE, alarm_type="smoke"
    )
    with (
        httpx.Client(timeout=httpx.Timeout(20.0)) as client,
        client.stream("GET", url, headers=as_(served, Role.OPERATOR)) as op,
        client.stream("GET", url, headers=as_(served, Role.INSTALLER, user_id="i1")) as installer,
    ):
        for r in (op, installer):
            read_until(r, has("ping"))
        write(served, birth("shed-a", 0, {("post-1", 1): SocketStatus.FREE}), fire)
        got = events(
            read_until(op, lambda g: has("incident")(g) and any(data(f).get("source") == "cloud" for f in events(g)))
        )
        edge = next(data(f) for f in got if f["event"] == "alarm" and data(f)["source"] == "edge")
        assert (edge["alarm_id"], edge["state"], edge["alarm_class"]) == ("shed-a/smoke/env-1", "active", "fire")
        cloud = next(data(f) for f in got if f["event"] == "alarm" and data(f)["source"] == "cloud")
        assert cloud["shed"] == "shed-a" and cloud["state"] and cloud["incident"]
        incident = next(data(f) for f in got if f["event"] == "incident")
        assert incident["shed"] == "shed-a" and incident["resolved"] is False and incident["incident"]
        # The installer reads alarms but never incidents (they name the people answering them).
        seen = events(read_until(installer, lambda g: any(data(f).get("source") == "cloud" for f in events(g))))
        assert "incident" not in {f["event"] for f in seen} and "alarm" in {f["event"] for f in seen}


def test_a_stop_reaches_staff_as_socket_stop_and_everyone_as_availability(serve: Callable[..., Served]) -> None:
    served = start(serve)
    url = f"{served.base}/api/v1/stream"
    with (
        httpx.Client(timeout=httpx.Timeout(20.0)) as client,
        client.stream("GET", url) as anon,
        client.stream("GET", url, headers=as_(served, Role.SECURITY)) as guard,
    ):
        read_until(anon, has("ping"))
        write(served, birth("shed-a", 0, {("post-1", 1): SocketStatus.FREE, ("post-1", 2): SocketStatus.FREE}))
        write(served, operator("shed-a", 1, "post-1", 2, stop=True, actor="op-li"))
        got = events(read_until(guard, has("socket_stop")))
        stop = next(data(f) for f in got if f["event"] == "socket_stop")
        assert stop == {
            "shed": "shed-a",
            "device": "post-1",
            "socket": 2,
            "stopped": True,
            "stopped_by": "op-li",
            "stopped_ts": T0 + 1000,
            "seq": 1,
            "ts": T0 + 1000,
            "received_at": T0,
        }
        public = events(read_until(anon, lambda g: any(data(f).get("stopped") == 1 for f in events(g))))
        assert {f["event"] for f in public} == {"availability"}  # who stopped what is staff information
        assert (data(public[-1])["free"], data(public[-1])["stopped"]) == (1, 1)
