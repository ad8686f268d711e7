"""Every page carries its own icon (inline), so a browser asks for no /favicon.ico (which the cloud does not serve)
and nothing on a page answers 404. (Headless Chromium asks for no favicon at all: the icon link is what fails without
the fix; a desktop or phone browser then asks for /favicon.ico.)"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Site

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.mark.parametrize("path", ["/", "/control", "/phone", "/resident"])
def test_pages_carry_an_icon_and_load_without_a_404(site: Site, new_page: Callable[..., Page], path: str) -> None:
    page = new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)  # type: ignore[func-returns-value]
    page.goto(site.base + path)  # control and phone stop at their login form: enough, the head is loaded
    icon = page.locator("link[rel=icon]")
    assert (icon.get_attribute("href") or "").startswith("data:image/svg+xml,")
    page.wait_for_timeout(1000)  # what the page loads after its load event
    assert missing == []
