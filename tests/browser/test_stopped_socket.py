"""An operator's stop on the pages: the control room's socket grid shows the stopped socket as its own state with
who stopped it and when (hover, keyboard focus, the chart's title), live from the stream; the availability page and
the residents' page count it, so the rows add up to the total. The stop arrives as the edge reports it (its
interlock event for the stop_socket command, as the ingest and API tests send it)."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, WALL, Site, assert_accessible
from tests.integration.cloud.helpers import operator

pytestmark = [pytest.mark.integration, pytest.mark.browser]
STOPPED = "post-1/4"


def _open(page: Page, url: str) -> Page:
    page.goto(url)
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true", timeout=15_000)
    return page


def _stop(site: Site, *, stop: bool) -> None:
    site.pub.send([operator("shed-a", site.next_seq(), "post-1", 4, stop=stop, actor="op-li")])


def test_the_control_room_shows_a_stopped_socket_live_with_who_and_when(
    site: Site, new_page: Callable[..., Page]
) -> None:
    page = _open(site.login_as(new_page(WALL), "operator", user_id="operator-1"), site.base + "/control?lang=en")
    cell = page.locator(f"[data-shed='shed-a'] .sock[data-socket='{STOPPED}']")
    expect(cell).to_have_attribute("data-state", "free")
    _stop(site, stop=True)
    # No reload: the stream's socket_stop (and availability) event brings it.
    expect(cell).to_have_attribute("data-state", "stopped", timeout=10_000)
    expect(cell).to_contain_text("STOPPED")
    expect(page.locator("[data-shed='shed-a'] .count[data-k='stopped'] b")).to_have_text("1")
    expect(page.locator("[data-shed='shed-a'] .count[data-k='free'] b")).to_have_text("9")
    note = cell.locator("[data-k='stop-note']")
    assert (cell.get_attribute("title") or "").startswith("stopped by op-li at ")
    expect(note).to_be_hidden()
    cell.focus()  # a keyboard user sees who and when too
    expect(note).to_be_visible()
    expect(note).to_have_text(cell.get_attribute("title") or "?")
    assert page.evaluate(f"document.activeElement.getAttribute('aria-describedby') === '{note.get_attribute('id')}'")
    # its own look: neither a fault's nor offline's colour
    looks = page.evaluate(
        """() => [...document.querySelectorAll("[data-shed='shed-a'] .sock")].map((c) => {
             const s = getComputedStyle(c); return [c.dataset.state, s.backgroundImage, s.backgroundColor]; })"""
    )
    stopped = [x for x in looks if x[0] == "stopped"]
    assert len(stopped) == 1 and "repeating-linear-gradient" in stopped[0][1], looks
    assert all(x[1] == "none" for x in looks if x[0] != "stopped"), looks
    cell.click()
    expect(page.locator("#chart-title")).to_contain_text("stopped by op-li at ")
    assert_accessible(page)
    page.click("#lang")  # the same in zh-CN
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    expect(cell).to_contain_text("人工停用")
    assert "op-li 于 " in (cell.get_attribute("title") or "")
    assert_accessible(page)
    _stop(site, stop=False)
    expect(cell).to_have_attribute("data-state", "free", timeout=10_000)
    expect(cell.locator("[data-k='stop-note']")).to_have_count(0)


def test_the_availability_and_residents_pages_count_stopped_sockets(site: Site, new_page: Callable[..., Page]) -> None:
    _stop(site, stop=True)
    home = _open(new_page(), site.base + "/?lang=en")
    row = home.locator("[data-shed='shed-a'] td[data-k='stopped']")
    expect(row).to_have_text("1", timeout=10_000)
    expect(home.locator("[data-shed='shed-a'] th", has_text="STOPPED")).to_have_count(1)
    cells = home.locator("[data-shed='shed-a'] td[data-k]").all_inner_texts()
    assert sum(int(c) for c in cells) == 10, cells  # every socket in exactly one row
    assert_accessible(home)
    resident = _open(new_page(PHONE), site.base + "/resident")  # zh-CN by default
    line = resident.locator("[data-shed='shed-a'] [data-k='stopped']")
    expect(line).to_have_text(re.compile(r"^1 个充电口已被工作人员停用"), timeout=10_000)
    assert_accessible(resident)
    _stop(site, stop=False)
    expect(line).to_have_count(0, timeout=10_000)
    expect(row).to_have_text("0", timeout=10_000)
