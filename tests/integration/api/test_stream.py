"""GET /api/v1/stream through a real uvicorn: scoping per role, pings, resume with Last-Event-ID, reset.

The cloud runs with ingest off and follows the state store's event feed (as an API process does when ingest
runs elsewhere); the test writes edge messages into the store as an ingest worker would.
"""

import time
from collections.abc import Callable

import httpx
import pytest
from fastapi import Request

from cloud.api.stream_caller import stream_caller
from cloud.core.access.roles import Principal, Role
from cloud.core.batch import Batch
from protocol.config import PostSpec, ShedConfig
from protocol.uplink import SocketStatus
from tests.integration.api.conftest import Served
from tests.integration.api.sse import Frame, data, events, read_until
from tests.integration.cloud.helpers import T0, birth, status

pytestmark = pytest.mark.integration

PRINCIPALS = {
    "operator": Principal("op", Role.OPERATOR, frozenset({"c1"})),
    "resident": Principal("u1", Role.RESIDENT, frozenset({"c1"})),
    "other-operator": Principal("op2", Role.OPERATOR, frozenset({"c2"})),
}


def caller_from_header(request: Request) -> Principal | None:
    # Stands in for the accounts' bearer-token dependency: the test names the caller in a header.
    who = request.headers.get("x-test-caller")
    return PRINCIPALS[who] if who else None


def start(serve: Callable[..., Served]) -> Served:
    served = serve(stream_ping_s=0.3, live_poll_s=0.05, inventory_refresh_s=0.1)
    served.app.dependency_overrides[stream_caller] = caller_from_header
    store = served.app.state.cloud.stores.state
    store.import_inventory(
        ShedConfig(shed="shed-a", community="c1", posts=[PostSpec(id="post-1")]), actor="t", now_ms=T0
    )
    return served


def write(served: Served, *messages: object) -> None:
    batch = Batch()
    for m in messages:
        (batch.states if m.__class__.__name__ == "EdgeState" else batch.events).append((m, T0))  # type: ignore[arg-type]
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
        client.stream("GET", url, headers={"x-test-caller": "operator"}) as op,
        client.stream("GET", url, headers={"x-test-caller": "other-operator"}) as other,
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
        assert all(int(f["id"].split("-")[1]) > 0 for f in got_op + got_anon + got_other)


def test_reconnecting_with_last_event_id_resumes_without_loss(serve: Callable[..., Served]) -> None:
    served = start(serve)
    url = f"{served.base}/api/v1/stream"
    op = {"x-test-caller": "operator"}
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
