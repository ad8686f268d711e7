"""The control room on a wall screen with the demo's two sheds (2 x 3 posts x 10 sockets = 60): everything fits
one screen without scrolling at 3840 x 2160 and at 1920 x 1080 and stays readable; with a fire and the live stream
lost, the two banners are distinct (the alarm's red, LIVE DATA LOST in black and yellow hazard stripes) and
neither covers the other, nor anything else. With SHEDWATCH_SCREENSHOTS=1 the two screens are written to
docs/screenshots/ (docs/pages.md shows them)."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from protocol.uplink import SocketStatus
from shedwatch.demo_config import demo_sheds, shed_toml
from shedwatch.mosquitto import Mosquitto
from tests.browser.conftest import WALL, Site, _start_site, assert_accessible
from tests.integration.cloud.helpers import birth, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]
HD = {"width": 1920, "height": 1080}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
EVENING = [SocketStatus.FREE, SocketStatus.CHARGING, SocketStatus.CHARGING, SocketStatus.PLUGGED, SocketStatus.FULL]

# Every box that must be on screen, whole: its rectangle, and whether a scrolling box inside the page had to clip
# it (the page itself cannot scroll: body.wall is the screen's height).
GEOMETRY = """() => {
  const r = (el) => { const b = el.getBoundingClientRect(); return {top: b.top, bottom: b.bottom, left: b.left,
                                                                     right: b.right, h: b.height}; };
  const scrolls = [...document.querySelectorAll('main *')].filter((el) => {
    const s = getComputedStyle(el);
    return el.offsetParent !== null && /(auto|scroll|hidden)/.test(s.overflowY) && el.scrollHeight > el.clientHeight + 1
      && !['incident-timeline', 'incidents', 'incidents-card'].includes(el.id) && !el.classList.contains('sr-only');
  }).map((el) => el.id || el.className);
  return {
    vw: innerWidth, vh: innerHeight,
    page: {h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth},
    cells: [...document.querySelectorAll('[data-socket]')].map(r),
    cellFont: parseFloat(getComputedStyle(document.querySelector('[data-socket]')).fontSize),
    boxes: ['#sheds', '#incidents-card', '#incident-title', '#act-ack', '#week', '#chart', '#silence', '#ack-top',
            '#alarm-text']
      .map((q) => [q, r(document.querySelector(q))]),
    alarm: r(document.querySelector('#alarm-banner')),
    lost: document.querySelector('#stream-lost.hidden') ? null : r(document.querySelector('#stream-lost')),
    main: r(document.querySelector('main')),
    clipped: scrolls,
  };
}"""


@pytest.fixture
def demo_site(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Site]:
    """A cloud with the demo's two sheds, an evening's mix of socket states, and a thermal runaway on shed-a."""
    sheds = demo_sheds(2, 3, 10)
    texts = {
        s.shed: shed_toml(s, shed_broker="mqtt://127.0.0.1:1", cloud_broker="mqtt://127.0.0.1:1", data_dir=tmp_path)
        for s in sheds
    }
    site = _start_site(tmp_path, mosquitto, sheds=texts)
    for i, shed in enumerate(sheds):
        sockets = {
            (post.id, n): EVENING[(n + p + i) % len(EVENING)]
            for p, post in enumerate(shed.posts)
            for n in range(1, post.sockets + 1)
        }
        site.pub.send([birth(shed.shed, 0, sockets)])
    wait_for(lambda: len(site.cloud.get("/api/v1/availability")["sheds"]) == 2, what="both sheds")  # type: ignore[index]
    site.thermal_runaway("post-1", 3)  # shed-a's post-1 (the demo names posts post-N in each shed)
    yield site
    site.close()


def _inside(box: dict[str, float], geo: dict[str, Any]) -> bool:
    return (
        box["h"] > 0
        and box["top"] >= 0
        and box["left"] >= 0
        and box["bottom"] <= geo["vh"] + 0.5
        and (box["right"] <= geo["vw"] + 0.5)
    )


def _fits(page: Page) -> dict[str, Any]:
    geo: dict[str, Any] = page.evaluate(GEOMETRY)
    assert geo["page"]["h"] <= geo["vh"] and geo["page"]["w"] <= geo["vw"], geo["page"]
    assert len(geo["cells"]) == 60
    outside = [c for c in geo["cells"] if not _inside(c, geo)]
    assert outside == [], f"{len(outside)} socket cells off screen at {geo['vw']}x{geo['vh']}"
    for name, box in geo["boxes"]:
        assert _inside(box, geo), (name, box, geo["vh"])
    # The incident panel may scroll its own long lists, but the chosen incident and its first action show at once.
    boxes = dict(geo["boxes"])
    assert boxes["#act-ack"]["bottom"] <= boxes["#incidents-card"]["bottom"], boxes
    assert geo["clipped"] == [], f"cut off inside a box: {geo['clipped']}"
    # Readable from across the room: a socket's words at least 1 % of the screen's height.
    assert geo["cellFont"] >= geo["vh"] / 100, geo["cellFont"]
    return geo


def _shown(page: Page, demo_site: Site, lang: str) -> Page:
    page.goto(f"{demo_site.base}/control?lang={lang}")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true", timeout=15_000)
    expect(page.locator("#alarm-banner")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-socket]")).to_have_count(60)
    expect(page.locator("[data-shed='shed-a'] [data-socket='post-1/3']")).to_have_attribute("data-state", "tripped")
    page.click("[data-shed='shed-a'] [data-socket='post-1/3']")  # its history chart, as an operator would look
    # Once the first ping told the cloud's time, the clocks count and the chart is drawn: all of it must fit.
    page.wait_for_function("() => window.shedwatch.chartPoints !== undefined", timeout=15_000)
    return page


def test_two_sheds_fit_the_wall_and_the_lost_stream_is_unmistakable(
    demo_site: Site, new_page: Callable[..., Page]
) -> None:
    screens = {
        "wall": _shown(demo_site.login_as(new_page(WALL), "operator"), demo_site, "zh-CN"),
        "hd": _shown(demo_site.login_as(new_page(HD), "operator"), demo_site, "en"),
    }
    for page in screens.values():
        _fits(page)

    demo_site.cloud.kill()  # the screens lose their live stream with the fire still on them
    for size, page in screens.items():
        expect(page.locator("#stream-lost")).to_be_visible(timeout=15_000)
        geo = _fits(page)
        alarm, lost = geo["alarm"], geo["lost"]
        assert lost is not None and _inside(lost, geo) and _inside(alarm, geo)
        # One above the other, neither covering the other nor the screen below them.
        assert lost["bottom"] <= alarm["top"] or alarm["bottom"] <= lost["top"], (lost, alarm)
        assert max(lost["bottom"], alarm["bottom"]) <= geo["main"]["top"] + 0.5
        style = page.evaluate(
            """() => {
              const s = (q) => getComputedStyle(document.querySelector(q));
              return {lostImage: s('#stream-lost').backgroundImage, lostText: s('#stream-lost .lost-text').color,
                      lostBg: s('#stream-lost .lost-text').backgroundColor,
                      alarmImage: s('#alarm-banner').backgroundImage, alarmBg: s('#alarm-banner').backgroundColor};
            }"""
        )
        assert "repeating-linear-gradient" in style["lostImage"] and "255, 212, 0" in style["lostImage"], style
        assert style["lostText"] == "rgb(255, 212, 0)" and style["lostBg"] == "rgb(20, 26, 34)", style
        assert style["alarmImage"] == "none" and style["alarmBg"] != style["lostBg"], style
        assert_accessible(page)
        if os.environ.get("SHEDWATCH_SCREENSHOTS") == "1":
            lang = "zh-CN" if size == "wall" else "en"
            page.screenshot(path=str(DOCS / f"control-{size}-two-sheds-lost-{lang}.png"), full_page=False)
