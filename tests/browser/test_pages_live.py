"""The pages against a real cloud: shown in zh-CN by default and in English on request, accessible, keyboard
focus visible, live counts that follow the shed, and a loud warning when the live data stops."""

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from protocol.uplink import SocketStatus
from tests.browser.conftest import PHONE, WALL, Site, assert_accessible
from tests.integration.cloud.helpers import status

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _open(page: Page, url: str) -> Page:
    page.goto(url)
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true", timeout=15_000)
    return page


PAGES = ["/control", "/phone", "/resident", "/"]
ROLE = {"/control": "operator", "/phone": "security"}  # the staff pages ask for a login first


def test_each_page_is_chinese_by_default_english_on_switch_and_accessible(
    site: Site, new_page: Callable[..., Page]
) -> None:
    for path in PAGES:
        page = new_page()
        if path in ROLE:
            site.login_as(page, ROLE[path], user_id=f"{ROLE[path]}-1")
        page = _open(page, site.base + path)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        zh_title = page.title()
        assert any("\u4e00" <= c <= "\u9fff" for c in zh_title), (path, zh_title)
        assert_accessible(page)
        page.click("#lang")
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        assert page.title().isascii(), (path, page.title())
        assert_accessible(page)
        # The choice is kept for the next visit.
        page.reload()
        page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
        assert page.evaluate("document.documentElement.lang") == "en"


def test_keyboard_focus_is_visible(site: Site, new_page: Callable[..., Page]) -> None:
    page = _open(site.login_as(new_page(), "operator", user_id="operator-1"), site.base + "/control")
    page.keyboard.press("Tab")
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return {tag: document.activeElement.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"
    )
    assert style["tag"] == "BUTTON" and style["outline"] == "solid" and style["width"] >= 2, style


def test_control_room_counts_follow_the_shed(site: Site, new_page: Callable[..., Page]) -> None:
    page = _open(site.login_as(new_page(WALL), "operator", user_id="operator-1"), site.base + "/control?lang=en")
    free = page.locator("[data-shed='shed-a'] .count[data-k='free'] b")
    expect(free).to_have_text("10")
    t0 = time.monotonic()
    site.pub.send([status("shed-a", site.next_seq(), "post-1", 3, SocketStatus.CHARGING)])
    expect(free).to_have_text("9", timeout=10_000)
    expect(page.locator("[data-shed='shed-a'] .count[data-k='charging'] b")).to_have_text("1")
    assert time.monotonic() - t0 < 10


def test_resident_sees_free_sockets_change(site: Site, new_page: Callable[..., Page]) -> None:
    page = _open(new_page(PHONE), site.base + "/resident?lang=en")
    free = page.locator("[data-shed='shed-a'] [data-k='free']")
    expect(free).to_have_text(re.compile(r"^([1-9]|10) of 10 free$"))
    site.pub.send([status("shed-a", site.next_seq(), "post-1", n, SocketStatus.CHARGING) for n in range(1, 11)])
    expect(free).to_have_text("0 of 10 free", timeout=10_000)
    expect(page.locator("[data-shed='shed-a'] [data-k='eta']")).to_be_visible()
    assert_accessible(page)


def test_stream_lost_warning_on_every_page_when_the_cloud_stops(own_site: Site, new_page: Callable[..., Page]) -> None:
    pages = []
    for path in PAGES:
        page = new_page()
        if path in ROLE:
            own_site.login_as(page, ROLE[path], user_id=f"{ROLE[path]}-1")
        pages.append(_open(page, own_site.base + path))
    for page in pages:
        expect(page.locator("#stream-lost")).to_be_hidden()
    own_site.cloud.stop()
    for page in pages:
        expect(page.locator("#stream-lost")).to_be_visible(timeout=15_000)
        assert page.evaluate("window.shedwatch.live.lost") is True
