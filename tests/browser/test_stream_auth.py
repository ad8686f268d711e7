"""A page whose account is disabled while it watches the live stream: the cloud ends the stream with an `auth`
event within STREAM_RECHECK_S, and the page stops reconnecting, logs out and shows the login (issue 12)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from shedwatch.mosquitto import Mosquitto
from tests.browser.conftest import Site, _start_site

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture
def quick_site(tmp_path: Path, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A cloud of the test's own that rechecks the accounts of open streams twice a second."""
    monkeypatch.setenv("SHEDWATCH_CLOUD_STREAM_RECHECK_S", "0.5")
    s = _start_site(tmp_path, mosquitto)
    yield s
    s.close()


def test_a_disabled_operator_is_sent_to_the_login(quick_site: Site, new_page: Callable[..., Page]) -> None:
    site = quick_site
    page = site.login_as(new_page(), "operator", user_id="operator-1")
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "api/v1/stream" in r.url else None)
    page.goto(site.base + "/control?lang=en")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true", timeout=15_000)
    page.wait_for_function("() => window.shedwatch.live && window.shedwatch.live.mode === 'stream'", timeout=15_000)
    admin = site.bearer("admin", user_id="admin-x")
    users = httpx.get(f"{site.base}/api/v1/users", headers=admin, timeout=10).json()
    user_id = next(u["id"] for u in users if u["username"] == "operator-1")
    r = httpx.patch(f"{site.base}/api/v1/users/{user_id}", json={"disabled": True}, headers=admin, timeout=10)
    assert r.status_code == 200, r.text
    expect(page.locator("#login-form")).to_be_visible(timeout=15_000)
    # Logged out: the session cookie is gone, and the page opened no stream after its reload (no login yet).
    assert not [c for c in page.context.cookies() if c["name"] == "shedwatch_session"]
    opened = len(streams)
    page.wait_for_timeout(2_000)
    assert len(streams) == opened and opened >= 1
