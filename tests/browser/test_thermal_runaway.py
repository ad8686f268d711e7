"""A thermal runaway, as the edge reports it, on the control-room wall screen: the banner flashes and the siren
sounds, the socket shows tripped; silence stops only the sound; the guard accepts from the phone view through the
alert's link; the screen falls silent."""

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, WALL, Site, assert_accessible
from tests.integration.cloud.helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _link(text: str, label: str) -> str:
    return next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith(f"{label}: "))


def _siren(page: Page) -> dict[str, object]:
    return page.evaluate("window.shedwatch.siren")  # type: ignore[no-any-return]


def test_thermal_runaway_sounds_until_the_guard_accepts_from_the_phone(
    site: Site, new_page: Callable[..., Page]
) -> None:
    screen = site.login_as(new_page(WALL), "operator")
    screen.goto(f"{site.base}/control?lang=en")
    screen.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    expect(screen.locator("[data-socket='post-1/3']")).to_have_attribute("data-state", "free")
    assert _siren(screen)["sounding"] is False

    sent = site.thermal_runaway("post-1", 3)
    screen.wait_for_function("() => window.shedwatch.siren.sounding === true", timeout=15_000, polling=20)
    shown_s = time.monotonic() - sent
    banner = screen.locator("#alarm-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_class(re.compile(r"\bflash\b"))
    expect(screen.locator("#alarm-text")).to_contain_text("FIRE")
    assert _siren(screen) == {"sounding": True, "started": 1, "oscillator": True, "audio": "running"}
    expect(screen.locator("[data-socket='post-1/3']")).to_have_attribute("data-state", "tripped")
    expect(screen.locator("#incidents button")).to_have_count(1)
    assert_accessible(screen)
    print(f"thermal runaway on screen with the siren {shown_s:.2f} s after the edge's events")

    # Silence: the sound stops, the banner keeps flashing (nobody acknowledged yet).
    screen.click("#silence")
    screen.wait_for_function("() => window.shedwatch.siren.sounding === false")
    expect(banner).to_have_class(re.compile(r"\bflash\b"))

    # The guard accepts through the alert's link, on the phone view.
    texts = wait_for(lambda: [t for t in site.receiver.texts() if "/open/guard-li" in t], timeout=30, what="alert")
    phone = new_page(PHONE)
    phone.goto(f"{site.base}/phone?lang=en#link={_link(texts[0], 'Accept')}")  # type: ignore[index]
    phone.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    phone.click("#link-act")
    expect(phone.locator("#link-result")).to_have_text("Recorded for guard-li.")

    # The screen falls silent: no flashing, no sound; the incident shows who accepted.
    expect(banner).not_to_have_class(re.compile(r"\bflash\b"), timeout=15_000)
    assert _siren(screen)["sounding"] is False
    expect(screen.locator("#incidents button")).to_contain_text("guard-li")


def test_the_wall_screen_in_chinese_and_one_request_for_the_incident_clocks(
    site: Site, new_page: Callable[..., Page]
) -> None:
    """zh-CN (the default) leaves no English in the banner, the timeline or the edge's act; the incident list's
    clocks come with the list (GET /api/v1/incidents): no request per incident for them."""
    site.thermal_runaway("post-1", 5)
    screen = site.login_as(new_page(WALL), "operator")
    lists: list[str] = []
    details: list[str] = []
    screen.on("request", lambda r: (lists if "/api/v1/incidents?open=true" in r.url else details).append(r.url)
              if re.search(r"/api/v1/incidents(\?open=true|/[^/?]+$)", r.url) else None)  # fmt: skip
    screen.goto(f"{site.base}/control?lang=zh-CN")
    screen.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    expect(screen.locator("#alarm-text")).to_contain_text("电池热失控")
    timeline = screen.locator("#incident-timeline")
    # (the module's cloud may already hold the incident of the test above: socket 5 joins it)
    expect(timeline.locator("li[data-kind='interlock']", has_text="post-1 #5")).to_contain_text(
        "网关动作 断电 插座 post-1 #5 (电池热失控) · 锁定"
    )
    expect(timeline.locator("li[data-kind='first_signal']")).to_contain_text("首个报警信号")
    expect(timeline.locator("li[data-kind='first_signal']")).to_contain_text(
        re.compile(r"火警 · 电池热失控 · post-1 #\d")
    )
    expect(screen.locator("#incidents button").first).to_contain_text(re.compile(r"请在 \d+:\d\d 内确认|已确认"))
    for where in ("#alarm-banner", "#incident-timeline", "#incidents"):
        text = screen.locator(where).inner_text()
        for english in ("thermal_runaway", "cut socket", "first_signal", "step_open", "interlock", "fire "):
            assert english not in text, (where, english, text)
    # Each refresh asks the list once; only the incident shown in the panel is asked for by its id (its timeline).
    assert lists and len(details) <= len(lists), (lists, details)
