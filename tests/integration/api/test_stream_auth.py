"""GET /api/v1/stream stays authorised while it is read, through a real uvicorn: a stream ends with a final
``auth`` event when its token stops being accepted, and within STREAM_RECHECK_S when its account is disabled or
changed; anonymous streams go on; the ends are counted in /metrics (issue 12)."""

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from cloud.api.principal import SESSION_COOKIE
from cloud.auth.directory import Directory
from cloud.core.access.roles import Principal, Role
from tests.apiauth import bearer
from tests.integration.api.conftest import Served
from tests.integration.api.sse import Frame, data, frames, read_until
from tests.integration.cloud.conftest import CHEAP_ARGON2

pytestmark = pytest.mark.integration

PW = "a long enough password"
TIMEOUT = httpx.Timeout(20.0)


def to_the_end(response: httpx.Response, reader: Iterator[Frame], *, timeout: float = 20.0) -> list[Frame]:
    """Every frame until the server ends the stream; fails if it has not ended after ``timeout`` s."""
    got: list[Frame] = []
    deadline = time.monotonic() + timeout
    for f in reader:
        got.append(f)
        assert time.monotonic() < deadline, f"the stream did not end; frames: {got}"
    return got


def directory(served: Served) -> Directory:
    cloud = served.app.state.cloud
    return Directory(cloud.stores.state.engine, cloud.settings.password_hasher(), now_ms=cloud.clock.now_ms)


def root(served: Served) -> dict[str, str]:
    return bearer(served.app.state.cloud.settings, Role.ADMIN, (), user_id="root", everywhere=True)


def operator(served: Served) -> tuple[str, dict[str, str]]:
    """A real operator account of c1 and a token for it (as the token route would issue)."""
    d = directory(served)
    d.create_community("c1")
    d.create_community("c2")
    user = d.create_user(username="op1", password=PW, role=Role.OPERATOR, communities=["c1"])
    return user.id, bearer(served.app.state.cloud.settings, Role.OPERATOR, ("c1",), user_id=user.id)


def metric(served: Served, reason: str) -> float:
    text = httpx.get(f"{served.base}/metrics", timeout=10).text
    line = f'shedwatch_stream_ended_auth_total{{reason="{reason}"}} '
    return next(float(x[len(line) :]) for x in text.splitlines() if x.startswith(line))


@pytest.mark.parametrize("as_cookie", [False, True])
def test_a_stream_ends_when_its_token_stops_being_accepted(serve: Callable[..., Served], as_cookie: bool) -> None:
    served = serve(stream_ping_s=0.2, **CHEAP_ARGON2)
    settings = served.app.state.cloud.settings
    codec = settings.token_codec()
    # Issued long enough ago that its exp has passed but the leeway every route allows has not, for about 1 s.
    user_id, _ = operator(served)  # a real account: a cookie this old is renewed on use, which reads it
    principal = Principal(user_id, Role.OPERATOR, frozenset({"c1"}))
    token = codec.issue(principal, now_s=time.time() - settings.access_token_ttl_s - codec.leeway_s + 1.5)
    # A page's session cookie is the same token; the stream ends with the cookie it was opened with.
    headers = {"Cookie": f"{SESSION_COOKIE}={token}"} if as_cookie else {"Authorization": f"Bearer {token}"}
    url = f"{served.base}/api/v1/stream"
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", url, headers=headers) as stream:
        assert stream.status_code == 200
        got = to_the_end(stream, frames(stream))
    assert [f["event"] for f in got][-1] == "auth" and data(got[-1]) == {"reason": "expired"}
    assert any(f["event"] == "ping" for f in got)  # it was streaming until then
    assert got[-1]["id"] == got[-2]["id"]  # the resume point: a new login resumes without loss
    # The same token is refused now, so a client cannot loop: it must log in again.
    assert httpx.get(url, headers=headers, timeout=10).status_code == 401
    assert metric(served, "expired") == 1.0 and metric(served, "disabled") == 0.0


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"disabled": True}, "disabled"), ({"role": "security"}, "changed"), ({"communities": ["c1", "c2"]}, "changed")],
)
def test_a_stream_ends_soon_after_its_account_changes(
    serve: Callable[..., Served], change: dict[str, object], reason: str
) -> None:
    served = serve(stream_ping_s=0.2, stream_recheck_s=0.3, **CHEAP_ARGON2)
    user_id, headers = operator(served)
    url = f"{served.base}/api/v1/stream"
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        client.stream("GET", url) as anon,
        client.stream("GET", url, headers=headers) as op,
    ):
        reader = frames(op)
        # Rechecks pass while the account is unchanged: pings keep coming across several recheck intervals.
        pings = [next(reader) for _ in range(8)]
        assert {f["event"] for f in pings} == {"ping"}
        r = client.patch(f"{served.base}/api/v1/users/{user_id}", json=change, headers=root(served))
        assert r.status_code == 200, r.text
        got = to_the_end(op, reader)
        assert got[-1]["event"] == "auth" and data(got[-1]) == {"reason": reason}
        # The anonymous stream is unaffected: it goes on pinging.
        first = read_until(anon, lambda g: len(g) >= 1)
        later = read_until(anon, lambda g: len(g) >= 5)
        assert {f["event"] for f in first + later} == {"ping"}
    assert metric(served, reason) == 1.0
