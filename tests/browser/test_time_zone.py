"""Times on the pages are the community's, labelled, whatever the viewer's own zone: a browser set to UTC shows a
Shanghai shed's times in Shanghai time (the default zone), and a community whose settings name another zone is
shown in that one to its staff."""

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, WALL, Site, assert_accessible

pytestmark = [pytest.mark.integration, pytest.mark.browser]
NEW_YEAR_UTC_MS = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC: 08:00 in Shanghai, 09:00 in Tokyo


@pytest.fixture
def utc_page(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport=PHONE, timezone_id="UTC")  # type: ignore[arg-type]
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]  # as conftest's new_page: assert_accessible checks them
    yield page
    ctx.close()


def _time_of_day(page: Page) -> str:
    got: str = page.evaluate(f"async () => (await import('/pages/assets/common.js')).timeOfDay({NEW_YEAR_UTC_MS})")
    return got


def test_a_utc_browser_shows_the_communitys_time_and_says_which(site: Site, utc_page: Page) -> None:
    utc_page.goto(f"{site.base}/resident?lang=en")
    utc_page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    assert utc_page.evaluate("new Date(0).getTimezoneOffset()") == 0  # the viewer is on UTC
    expect(utc_page.locator("#tz")).to_have_text("Times: Asia/Shanghai")
    assert _time_of_day(utc_page) == "8:00:00 AM"  # not the browser's 12:00:00 AM
    utc_page.click("#lang")
    expect(utc_page.locator("#tz")).to_have_text("时间：Asia/Shanghai")  # noqa: RUF001
    assert _time_of_day(utc_page) == "08:00:00"
    assert_accessible(utc_page)


def test_staff_see_times_in_their_communitys_zone(site: Site, browser: Browser) -> None:
    settings = {"name": "", "tz": "Asia/Tokyo", "ack_s": 180, "onsite_s": 600, "crowded": False}
    r = httpx.put(
        f"{site.base}/api/v1/config/communities/jinsong-north", json=settings, headers=site.bearer("admin"), timeout=10
    )
    assert r.status_code == 200, r.text
    ctx = browser.new_context(viewport=WALL, timezone_id="UTC")  # type: ignore[arg-type]
    try:
        page = site.login_as(ctx.new_page(), "operator")
        page.goto(f"{site.base}/control?lang=en")
        page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
        expect(page.locator("#tz")).to_have_text("Times: Asia/Tokyo")
        assert (
            page.evaluate(f"async () => (await import('/pages/assets/common.js')).timeOfDay({NEW_YEAR_UTC_MS})")
            == "9:00:00 AM"
        )
    finally:
        ctx.close()
