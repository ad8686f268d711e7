"""Pages judge time on the cloud's clock, not the viewer's (dashboards/assets/clock.js): a browser whose own clock is
8 days and 3 hours ahead still counts the incident's accept clock down from the cloud's time, shows the cloud's time
of day (zh-CN: 24-hour) and this week's kept promises. Then the residents' page: a shed whose every socket is faulted
is out of service, and a coded refusal is shown translated, in both languages."""

import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from protocol.uplink import SocketStatus, SocketStatusChanged
from tests.browser.conftest import PHONE, WALL, Site, assert_accessible
from tests.browser.test_model import _module
from tests.integration.cloud.helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]
AHEAD_MS = (8 * 24 + 3) * 3_600_000  # the viewer's clock: a week and more off, so "this week" differs too


def test_clock_fit_follows_a_scaled_cloud_clock(site: Site, new_page: Callable[..., Page]) -> None:
    got = _module(
        new_page(),
        site,
        "clock",
        "const a = m.refit(null, 1000, 0);"  # first ping: rate 1
        " const b = m.refit(a, 151000, 5000);"  # 5 s later the cloud is 150 s on: 30 times real time
        " const c = m.refit(b, 160000, 5400);"  # too close to measure a rate from: the rate stays
        " const d = m.refit(c, 100, 10400);"  # the cloud's clock went back: no negative rate
        " return [m.cloudTime(null, 5), m.cloudTime(a, 10), b.rate, m.cloudTime(b, 6000), c.rate, d.rate,"
        " m.cloudTime(d, 10400)];",
    )
    assert got == [None, 1010, 30, 181000, 30, 30, 100]


def _seconds(text: str) -> int | None:
    """The countdown in "accept within M:SS" / "H:MM:SS" (en), in seconds; None when there is none."""
    found = re.search(r"accept within (-?)((?:\d+:)?\d+:\d\d)\b", text)
    if not found:
        return None
    parts = [int(p) for p in found.group(2).split(":")]
    s = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    return -s if found.group(1) else s


def test_control_screen_counts_on_the_cloud_clock_when_the_viewer_clock_is_wrong(
    site: Site, new_page: Callable[..., Page]
) -> None:
    screen = site.login_as(new_page(WALL), "operator")
    screen.clock.install(time=(time.time_ns() // 1_000_000 + AHEAD_MS) / 1000)  # Date.now() 8 days 3 h ahead
    screen.goto(f"{site.base}/control?lang=en")
    screen.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    site.thermal_runaway("post-1", 5)
    incident = screen.locator("#incidents button")
    expect(incident).to_have_count(1, timeout=15_000)
    # The accept clock (3 minutes, docs/alarms.md) counts down from the cloud's time once a ping told it.
    wait_for(
        lambda: (left := _seconds(incident.inner_text())) is not None and 0 < left <= 180,
        timeout=30,
        what=f"a countdown of at most 3 min, got {incident.inner_text()!r}",
    )

    # The time of day is the cloud's, on a 24-hour clock in Chinese.
    screen.click("#lang")
    expect(screen.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(screen.locator("#clock")).to_have_text(re.compile(r"^\d{2}:\d{2}:\d{2}$"))  # ticks every second
    shown = screen.locator("#clock").inner_text()
    h, m, s = (int(x) for x in shown.split(":"))
    # in the community's zone (Asia/Shanghai by default), whatever the browser's
    offset = datetime.now(ZoneInfo("Asia/Shanghai")).utcoffset()
    assert offset is not None
    local_s = (time.time() + offset.total_seconds()) % 86_400
    assert abs((h * 3600 + m * 60 + s - local_s + 43_200) % 86_400 - 43_200) < 120, (shown, local_s)

    # This week's figures are the cloud's week: accepting now keeps the promise.
    opened = httpx.get(f"{site.base}/api/v1/incidents?open=true", headers=site.bearer("operator"), timeout=10)
    inc_id = opened.json()["incidents"][0]["id"]
    r = httpx.post(
        f"{site.base}/api/v1/incidents/{inc_id}/acknowledge", json={}, headers=site.bearer("operator"), timeout=10
    )
    assert r.status_code == 200, r.text
    expect(screen.locator("#week [data-clock='ack']")).to_contain_text("1 次中 1 次达标", timeout=15_000)
    assert_accessible(screen)


def test_resident_page_says_out_of_service_and_translates_refusals(site: Site, new_page: Callable[..., Page]) -> None:
    now = time.time_ns() // 1_000_000
    site.pub.send(
        [
            SocketStatusChanged(
                src="shed-a", seq=site.next_seq() + 100, ts=now, device="post-1", socket=n, status=SocketStatus.FAULTED
            )
            for n in range(1, 11)
        ]
    )

    def all_faulted() -> bool:
        sheds: Any = site.cloud.get("/api/v1/availability")
        return bool(sheds["sheds"][0]["faulted"] == 10)

    wait_for(all_faulted, timeout=30, what="every socket of shed-a faulted")
    page = site.login_as(new_page(PHONE), "resident", user_id="res-9")
    page.goto(f"{site.base}/resident?lang=en&qr=shed-a-post-1-2")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    eta = page.locator("[data-shed='shed-a'] [data-k='eta']")
    expect(eta).to_have_attribute("data-outlook", "out_of_service")
    expect(eta).to_contain_text("Out of service")

    # shed-a charges on plug-in: the cloud refuses a session with code open_shed, shown as a sentence, not JSON.
    page.click("#start-form button[type=submit]")
    error = page.locator("#session-error")
    expect(error).to_have_text("Not done: This shed charges when you plug in; no session is needed.", timeout=15_000)
    page.click("#lang")
    expect(eta).to_contain_text("停用中")
    page.click("#start-form button[type=submit]")
    expect(error).to_have_text("未完成：本车棚插上即可充电，无需开始充电。", timeout=15_000)  # noqa: RUF001
    assert "{" not in error.inner_text()
    assert_accessible(page)
