"""The pages' route serves only the assets folders, with their types; both translations carry the same keys."""

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from cloud.api.app import create_app
from cloud.api.routes.pages import asset_type
from cloud.settings import CloudSettings

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("assets/control.js", "text/javascript; charset=utf-8"),
        ("assets/style.css", "text/css; charset=utf-8"),
        ("i18n/zh-CN.json", "application/json"),
        ("vendor/uplot/uPlot.iife.min.js", "text/javascript; charset=utf-8"),
        ("vendor/uplot/LICENSE", None),  # shipped, not served
        ("assets/../__init__.py", None),
        ("grafana/dashboards/shedwatch.json", None),
        ("assets/.hidden.js", None),
        ("assets//x.js", None),
        ("control.html", None),
        ("assets/x.py", None),
    ],
)
def test_asset_type_allows_only_page_assets(path: str, kind: str | None) -> None:
    assert asset_type(path) == kind


async def _serve_and_check(tmp_path: Path) -> None:
    app = create_app(CloudSettings(data_dir=tmp_path, ingest=False, alarms=False))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for page in ("/", "/control", "/phone", "/resident"):
            r = await client.get(page)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), page
            assert 'lang="zh-CN"' in r.text
        js = await client.get("/pages/assets/live.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
        assert "max-age" in js.headers["cache-control"]
        assert (await client.get("/pages/i18n/en.json")).json()["lang.switch"] == "中文"
        for bad in ("/pages/assets/nope.js", "/pages/assets/../__init__.py", "/pages/vendor/uplot/LICENSE"):
            assert (await client.get(bad)).status_code == 404, bad


def test_pages_and_assets_are_served_with_their_types(tmp_path: Path) -> None:
    # A plain test running its own loop (not pytest-asyncio's), like the browser tests beside it.
    asyncio.run(_serve_and_check(tmp_path))


def test_translations_have_the_same_keys_and_placeholders() -> None:
    zh = json.loads((DASHBOARDS / "i18n" / "zh-CN.json").read_text())
    en = json.loads((DASHBOARDS / "i18n" / "en.json").read_text())
    assert zh.keys() == en.keys()
    for key in zh:
        holes = {p for p in en[key].split("{")[1:]}
        assert {h.split("}")[0] for h in holes} == {h.split("}")[0] for h in zh[key].split("{")[1:]}, key


def test_every_key_the_pages_use_is_translated() -> None:
    import re

    en = json.loads((DASHBOARDS / "i18n" / "en.json").read_text())
    used: set[str] = set()
    for f in [*DASHBOARDS.glob("*.html"), *(DASHBOARDS / "assets").glob("*.js")]:
        text = f.read_text()
        used |= set(re.findall(r'data-i18n(?:-label|-placeholder)?="([a-z_.A-Z-]+)"', text))
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_]+)"', text))
    assert used and used <= en.keys(), sorted(used - en.keys())
