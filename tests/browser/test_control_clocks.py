"""The wall screen's service clocks count each second on the cloud's clock between the stream's pings, and the
incident list and the incident panel show the same value (one cloud time per tick for both)."""

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import WALL, Site
from tests.integration.cloud.helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# The list's and the panel's accept clock, read in one turn of the page's event loop.
READ = """() => {
  const list = document.querySelector('#incidents span.ticking');
  const panel = document.querySelector('#incident-facts span.ticking');
  return [list && list.textContent, panel && panel.textContent];
}"""


def _seconds(text: str | None) -> int | None:
    """Seconds in the first M:SS or H:MM:SS of ``text`` (negative when it says OVERDUE); None without one."""
    found = re.search(r"(-?)((?:\d+:)?\d+:\d\d)\b", text or "")
    if not found:
        return None
    parts = [int(p) for p in found.group(2).split(":")]
    s = int(sum(p * 60**i for i, p in enumerate(reversed(parts))))
    return -s if "OVERDUE" in (text or "") else s


def test_list_and_panel_clocks_tick_each_second_and_agree(site: Site, new_page: Callable[..., Page]) -> None:
    screen = site.login_as(new_page(WALL), "operator")
    screen.clock.install(time=time.time_ns() // 1_000_000 / 1000)  # the page's timers, to step them below
    screen.goto(f"{site.base}/control?lang=en")
    screen.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    site.thermal_runaway("post-1", 4)
    expect(screen.locator("#incidents button")).to_have_count(1, timeout=15_000)
    wait_for(
        lambda: all(_seconds(t) is not None for t in screen.evaluate(READ)),
        timeout=30,
        what="a counting accept clock in the list and in the panel",
    )
    # Stopped page clock: from here only run_for moves the page's time (a ping may still arrive: it moves both).
    screen.clock.pause_at(time.time_ns() // 1_000_000 / 1000 + 1)
    for _ in range(3):
        before = [_seconds(t) for t in screen.evaluate(READ)]
        screen.clock.run_for(2_000)  # two ticks of the page's one-second timer, no request
        after = [_seconds(t) for t in screen.evaluate(READ)]
        assert before[0] == before[1] and after[0] == after[1], (before, after)  # one value for list and panel
        assert after[0] is not None and before[0] is not None and after[0] < before[0], (before, after)
