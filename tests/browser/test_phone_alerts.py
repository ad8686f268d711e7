"""The phone view's "my alerts" for a logged-in guard: the list's own clocks (incidents list items carry them) and
no request per incident; the detail (what the edge did, the cameras) is fetched for the incident the guard opens."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import PHONE, Site, assert_accessible

pytestmark = [pytest.mark.integration, pytest.mark.browser]
DETAIL = re.compile(r"/api/v1/incidents/[^/?]+$")  # one incident's detail, not the list (?open=true)


def test_my_alerts_use_the_list_clocks_and_fetch_only_the_opened_incident(
    site: Site, new_page: Callable[..., Page]
) -> None:
    page = site.login_as(new_page(PHONE), "security", user_id="security-1")
    details: list[str] = []

    def seen(r: Request) -> None:
        if DETAIL.search(r.url.split("#")[0]):
            details.append(r.url)

    page.on("request", seen)
    page.goto(f"{site.base}/phone?lang=en")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    site.thermal_runaway("post-1", 3)
    card = page.locator("#alerts article.alert-card")
    expect(card).to_have_count(1, timeout=15_000)
    incident = card.get_attribute("data-incident")
    # The accept clock comes with the list: it counts down without the incident's detail.
    expect(card.locator("[data-k='ack-clock']")).to_have_text(re.compile(r"^accept within "), timeout=10_000)
    toggle = card.locator("button[data-k='details']")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(card.locator("[data-k='edge']")).to_have_count(0)
    page.wait_for_function("() => window.shedwatch.phone.incidents && window.shedwatch.phone.incidents.length === 1")
    assert details == [] and page.evaluate("window.shedwatch.phone.detailFetches") == 0
    toggle.focus()
    page.keyboard.press("Enter")  # opened from the keyboard: the button keeps the focus
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(card.locator("[data-k='edge']")).to_contain_text("cut power socket post-1 #3", timeout=10_000)
    assert page.evaluate("document.activeElement.dataset.k") == "details"
    assert details and all(u.endswith(f"/api/v1/incidents/{incident}") for u in details), details
    assert_accessible(page)
    toggle.click()  # closed: no more detail requests on later refreshes
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(card.locator("[data-k='edge']")).to_have_count(0)


def test_a_refresh_keeps_the_guard_s_focus_and_chosen_classification(site: Site, new_page: Callable[..., Page]) -> None:
    """The list is redrawn on every stream event and ping: a guard choosing how to resolve keeps the focus on the
    control and the classification chosen (before, each redraw dropped both)."""
    page = site.login_as(new_page(PHONE), "security", user_id="security-1")
    page.goto(f"{site.base}/phone?lang=en")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    site.thermal_runaway("post-1", 3)
    card = page.locator("#alerts article.alert-card")
    expect(card).to_have_count(1, timeout=15_000)
    chooser = card.locator("select")
    chooser.select_option("test")
    chooser.focus()
    card.evaluate("el => { el.dataset.before = 'redraw'; }")  # gone once the card is drawn again
    page.wait_for_function(
        "() => { const c = document.querySelector('#alerts article.alert-card'); return c && !c.dataset.before; }",
        timeout=20_000,
    )
    assert page.evaluate("document.activeElement.tagName") == "SELECT"
    assert page.evaluate("document.activeElement.closest('article').dataset.incident") == card.get_attribute(
        "data-incident"
    )
    expect(card.locator("select")).to_have_value("test")
