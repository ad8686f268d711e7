"""GET /docs works on a LAN without internet: the page names no other host, and everything it loads is served
here (the vendored swagger-ui-dist); /redoc, which would need a CDN, is off."""

import re

import pytest

from tests.integration.api.staffapp import (
    Staff,
    staff_fixture,  # noqa: F401 - provides the staff fixture
)

pytestmark = pytest.mark.integration


async def test_the_api_docs_page_loads_nothing_from_another_host(staff: Staff) -> None:
    page = await staff.client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert not re.search(r"(?:https?:)?//[A-Za-z0-9]", page.text), "the page names another host"
    loaded = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?['"]([^'"]+)['"]""", page.text)
    urls = [a or b for a, b in loaded]
    assert {"/pages/vendor/swagger-ui/swagger-ui-bundle.js", "/pages/vendor/swagger-ui/swagger-ui.css"} <= set(urls)
    assert "/openapi.json" in urls
    for url in urls:
        if url.startswith("data:"):
            continue
        got = await staff.client.get(url)
        assert got.status_code == 200 and len(got.content) > 100, url
    assert (await staff.client.get("/redoc")).status_code == 404
