"""Each page as each role: a role a page is not for sees no staff panel at all (no "alarms 0" for a resident on
the wall screen) but says so and points to the residents' page; the phone view's own alerts are for those who
answer incidents; the residents' page shows its account part to a resident only."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, Site, assert_accessible

pytestmark = [pytest.mark.integration, pytest.mark.browser]
ROLES = ("admin", "operator", "security", "installer", "resident")
# page -> the roles that see its staff panels (docs/pages.md)
STAFF_PANELS = {
    "control": {"admin", "operator", "security", "installer"},
    "phone": {"admin", "operator", "security"},
    "resident": {"resident"},  # the account part
}
PANEL = {"control": "#app", "phone": "#mine", "resident": "#account"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(STAFF_PANELS))
def test_each_page_as_each_role(site: Site, new_page: Callable[..., Page], name: str, role: str) -> None:
    page = site.login_as(new_page(LAPTOP), role)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"{site.base}/{name}?lang=en")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    panel = page.locator(PANEL[name])
    if role in STAFF_PANELS[name]:
        expect(panel).to_be_visible()
        assert page.evaluate("window.shedwatch.notForRole") is None
        return
    expect(panel).to_be_hidden()
    assert page.evaluate("window.shedwatch.notForRole") is True
    if name == "resident":
        expect(page.locator("#staff-note")).to_have_text("The account part is for residents.")
        assert not any("/api/v1/wallet" in u or "/api/v1/sessions" in u for u in asked), asked
    else:
        note = page.locator(".not-for-role")
        expect(note).to_contain_text(f"This page is not for your role ({role}).")
        expect(note.locator("a[href='resident']")).to_be_visible()
        # Nothing of the staff data was asked for, so nothing can show a zero the role is not allowed to see.
        assert not any("/api/v1/alarms" in u or "/api/v1/incidents" in u for u in asked), asked
        expect(page.locator("body")).not_to_contain_text("alarms")
    assert_accessible(page)
