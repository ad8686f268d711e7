"""Screenshots of each page at wall-screen (3840 x 2160) and phone (390 x 844) sizes in both languages.

By default two are taken (the wall screen in Chinese, the residents' page on a phone in English) and checked; with
SHEDWATCH_SCREENSHOTS=1 all of them are written to docs/screenshots/ (docs/pages.md shows them)."""

import os
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from protocol.uplink import SocketStatus, TelemetryBatch, TelemetryPoint
from tests.browser.conftest import PHONE, WALL, Site
from tests.integration.cloud.helpers import operator, status, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ALL = os.environ.get("SHEDWATCH_SCREENSHOTS") == "1"
PAGES = ("control", "phone", "resident")
SIZES = {"wall": WALL, "phone": PHONE}
SHOTS = [(p, s, lang) for p in PAGES for s in SIZES for lang in ("zh-CN", "en")]
ROLE = {"control": "operator", "phone": "security", "resident": "resident"}
DEFAULT = [("control", "wall", "zh-CN"), ("resident", "phone", "en")]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", head[16:24])
    return w, h


def test_screenshots(site: Site, new_page: Callable[..., Page], tmp_path: Path) -> None:
    # An evening: some charging, one full, one plugged, one stopped by an operator, one socket tripped by a thermal
    # runaway.
    busy = {1: SocketStatus.CHARGING, 2: SocketStatus.CHARGING, 4: SocketStatus.FULL, 5: SocketStatus.PLUGGED}
    site.pub.send([status("shed-a", site.next_seq(), "post-1", n, st) for n, st in busy.items()])
    site.pub.send([operator("shed-a", site.next_seq(), "post-1", 7, stop=True, actor="op-li")])
    now = time.time_ns() // 1_000_000
    readings = {1: (182.0, 31.5), 2: (240.0, 33.0), 3: (0.0, 92.0), 4: (3.0, 24.0), 5: (0.0, 22.0)}
    for minute in range(30, -1, -5):  # half an hour of readings, so the chart has a line
        points = [
            TelemetryPoint(
                ts=now - minute * 60_000, device="post-1", socket=n, fields={"power_w": w, "temp_c": c - minute / 10}
            )
            for n, (w, c) in readings.items()
        ]
        site.pub.send([TelemetryBatch(src="shed-a", seq=site.next_seq(), ts=now, points=points)])
    site.thermal_runaway("post-1", 3)
    wait_for(lambda: site.receiver.texts(), timeout=30, what="the alert")
    out = DOCS if ALL else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    for page_name, size, lang in SHOTS if ALL else DEFAULT:
        page = site.login_as(new_page(SIZES[size]), ROLE[page_name])
        page.goto(f"{site.base}/{page_name}?lang={lang}")
        page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true", timeout=15_000)
        page.wait_for_function("() => window.shedwatch.live && window.shedwatch.live.mode !== 'connecting'")
        if page_name != "phone":
            expect(page.locator("[data-shed='shed-a'] [data-k='free']").first).to_contain_text("4")
        if page_name == "control" and page.locator("[data-socket='post-1/3']").count():
            page.click("[data-socket='post-1/3']")  # its history chart
            page.wait_for_function("() => window.shedwatch.chartPoints > 0", timeout=10_000)
        if page_name == "phone":  # the guard's alert opened: what the edge did, the cameras
            page.click("#alerts button[data-k='details']")
            expect(page.locator("#alerts [data-k='edge']")).to_contain_text("post-1 #3")
        path = out / f"{page_name}-{size}-{lang}.png"
        page.screenshot(path=str(path), full_page=False)
        assert _png_size(path) == (SIZES[size]["width"], SIZES[size]["height"])
        assert path.stat().st_size > 10_000, path  # not a blank page
    if ALL:
        # The guard's phone opened from the alert's Accept link (no login): the link's incident, from its JSON.
        alert = next(t for t in site.receiver.texts() if "/open/guard-li" in t)
        accept = next(line.split(": ", 1)[1] for line in alert.splitlines() if line.startswith("Accept: "))
        for lang in ("zh-CN", "en"):
            page = new_page(PHONE)
            page.goto(f"{site.base}/phone?lang={lang}#link={accept}")
            page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true", timeout=15_000)
            expect(page.locator("#link-facts [data-k='edge']")).to_contain_text("post-1 #3")
            page.screenshot(path=str(out / f"phone-link-phone-{lang}.png"), full_page=False)
