"""The demo's drill button on the control room: only an admin sees it, and only on a cloud `shedwatch demo` started
(``--demo-drill-file``); a press asks for the drill (POST /api/v1/demo/drill, 202), which appends one request line
to the file the demo's simulator watches. Anywhere else the route is 404 and there is no button."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from shedwatch.mosquitto import Mosquitto
from tests.browser.conftest import Site, assert_accessible
from tests.integration.alarms.receivers import HttpReceiver
from tests.integration.cloud.conftest import CloudProcess
from tests.integration.cloud.helpers import Publisher

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture
def demo_site(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[tuple[Site, Path]]:
    """A cloud started as the demo starts it: with the drill requests file."""
    requests = tmp_path / "drill-requests.jsonl"
    cloud = CloudProcess(
        ["--broker", mosquitto.url, "--demo-drill-file", str(requests)], tmp_path / "cloud", tmp_path / "cloud.log"
    )
    cloud.start(timeout=120)
    site = Site(
        cloud,
        Publisher(mosquitto.port),
        tmp_path / "cloud",
        HttpReceiver().up(),
        cloud.auth.secret_key.get_secret_value(),
    )
    yield site, requests
    site.close()


def _ready(page: Page) -> None:
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")


def test_the_admin_starts_the_drill_from_the_control_room(
    demo_site: tuple[Site, Path], new_page: Callable[..., Page]
) -> None:
    site, requests = demo_site
    page = site.login_as(new_page(), "admin")
    page.goto(f"{site.base}/control?lang=en")
    _ready(page)
    button = page.locator("#drill")
    expect(button).to_be_visible()
    expect(button).to_have_text("Start the fire drill (demo)")
    assert not requests.exists()  # nothing asked yet
    button.click()
    expect(page.locator("#drill-state")).to_contain_text("Drill requested")
    lines = requests.read_text().splitlines()
    me = page.evaluate("() => fetch('api/v1/me').then((r) => r.json())")
    assert len(lines) == 1 and json.loads(lines[0])["by"] == me["id"]  # who asked, by account id
    assert_accessible(page)
    # The request is audited.
    audit = httpx.get(f"{site.base}/api/v1/audit?action=demo.drill", headers=site.bearer("admin"), timeout=10)
    assert [e["outcome"] for e in audit.json()["entries"]] == ["ok"], audit.text


def test_other_roles_see_no_button_and_are_refused(demo_site: tuple[Site, Path], new_page: Callable[..., Page]) -> None:
    site, requests = demo_site
    page = site.login_as(new_page(), "operator")
    page.goto(f"{site.base}/control?lang=en")
    _ready(page)
    expect(page.locator("#who")).to_contain_text("(operator)")
    expect(page.locator("#drill")).to_be_hidden()
    r = httpx.post(f"{site.base}/api/v1/demo/drill", headers=site.bearer("operator"), timeout=10)
    assert r.status_code == 403
    assert httpx.post(f"{site.base}/api/v1/demo/drill", timeout=10).status_code == 401
    assert not requests.exists()


def test_a_cloud_that_is_not_a_demo_has_no_drill(site: Site, new_page: Callable[..., Page]) -> None:
    page = site.login_as(new_page(), "admin")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/demo/drill")) as asked:
        page.goto(f"{site.base}/control?lang=en")
    assert asked.value.status == 404  # the page asked (an admin), the cloud is no demo
    _ready(page)
    expect(page.locator("#who")).to_contain_text("(admin)")
    expect(page.locator("#drill")).to_be_hidden()
    for method in ("GET", "POST"):
        r = httpx.request(method, f"{site.base}/api/v1/demo/drill", headers=site.bearer("admin"), timeout=10)
        assert r.status_code == 404, (method, r.text)
