"""The security phone view from an alert's signed link: a fire at shed-a pages the guard on a real webhook; the
guard opens the alert's Accept link in the phone view (no login), sees the incident as the link's JSON tells it
(where, the alarm, what the edge did, the clocks, what the link allows; in zh-CN without English left), accepts
it, and the cloud records the acceptance in the guard's name."""

import re
import sqlite3
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Site, assert_accessible
from tests.integration.cloud.helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _link(text: str, label: str) -> str:
    return next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith(f"{label}: "))


def test_guard_accepts_from_the_alert_link_in_the_phone_view(site: Site, new_page: Callable[..., Page]) -> None:
    site.thermal_runaway()
    texts = wait_for(lambda: [t for t in site.receiver.texts() if "/open/guard-li" in t], timeout=30, what="alert")
    alert = texts[0]  # type: ignore[index]
    incident = re.search(r"Ref: (\S+)/open/guard-li", alert).group(1)  # type: ignore[union-attr]
    accept = _link(alert, "Accept")

    page = new_page(PHONE)
    # The phone view takes the whole link (as a chat app hands it over) and keeps the token in the fragment.
    page.goto(f"{site.base}/phone?lang=en#link={accept}")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    expect(page.locator("#link-incident")).to_have_text(incident)
    expect(page.locator("#link-person")).to_have_text("guard-li")
    expect(page.locator("#link-act")).to_have_text("Accept")
    facts = page.locator("#link-facts")
    expect(facts.locator('[data-k="where"]')).to_contain_text("shed-a")
    expect(facts.locator('[data-k="where"]')).to_contain_text("jinsong-north")
    # the type's label in the page's language, then its reading from the alarm's fields (value against its limit)
    expect(facts.locator('[data-k="alarms"]')).to_contain_text(
        "FIRE · thermal runaway · 1.6 °C/s (limit 1 °C/s) post-1 #3 (severity 1000)"
    )
    expect(facts.locator('[data-k="edge"]')).to_contain_text("cut power socket post-1 #3 (thermal runaway)")
    expect(facts.locator('[data-k="edge"]')).to_contain_text("latched")
    # The accept clock counts down from the cloud's deadline: a time and m:ss left (3 min promise).
    expect(facts.locator('[data-k="ack-clock"]')).to_have_text(re.compile(r".+ · [0-3]:\d\d$"))
    expect(facts.locator('[data-k="elapsed"]')).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(facts.locator('[data-k="allows"]')).to_have_text("This link can: Accept")
    assert_accessible(page)

    zh = new_page(PHONE)
    zh.goto(f"{site.base}/phone?lang=zh-CN#link={accept}")
    zh.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    expect(zh.locator('#link-facts [data-k="alarms"]')).to_contain_text("火警 · 电池热失控")
    expect(zh.locator('#link-facts [data-k="edge"]')).to_contain_text("断电 插座 post-1 #3 (电池热失控)")
    shown = zh.locator("#link-view").inner_text()
    for english in ("thermal_runaway", "cut socket", "fire", "unack", "Accept"):
        assert english not in shown, (english, shown)
    # The alarm lines really: label and reading in Chinese; once ids (post-1, shed-a) and units are taken out, no
    # Latin word is left (the edge's English message is only the line's tooltip).
    lines = zh.locator('#link-facts [data-k="alarms"]').inner_text()
    assert "限值" in lines, lines
    rest = re.sub(r"\b[a-z]+(?:-[a-z0-9]+)+\b|°C/s|°C/min|°C|ppm|MPa|%/m|\bWh?\b|\bA\b", "", lines)
    assert not re.search(r"[A-Za-z]{2,}", rest), lines
    title = zh.locator('#link-facts [data-k="alarms"] span[title]').first.get_attribute("title")
    assert title and re.search(r"[A-Za-z]{3,}", title), title  # the edge's words, on hover
    page.click("#link-act")
    expect(page.locator("#link-result")).to_have_text("Recorded for guard-li.")
    with sqlite3.connect(site.data / "state.db") as db:
        body = db.execute("SELECT body FROM incidents WHERE id = ?", (incident,)).fetchone()[0]
    assert '"acked_by":"guard-li"' in body

    # The same link a second time: refused, and the page says why instead of pretending.
    # This time the way a guard's chat app opens it: the link's own page, then its way into the phone view.
    again = new_page(PHONE)
    again.goto(accept)
    href = again.locator("a[href^='/phone#link=']").get_attribute("href")
    assert href is not None
    again.goto(site.base + href.replace("/phone", "/phone?lang=en", 1))
    again.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    # No button for what the cloud would refuse; the page says why instead of pretending.
    expect(again.locator("#link-act")).to_be_hidden()
    expect(again.locator('#link-facts [data-k="allows"]')).to_have_text(
        "This link can no longer act: already accepted by guard-li"
    )
    expect(again.locator('#link-facts [data-k="ack-clock"]')).to_contain_text("kept guard-li")
    used_zh = new_page(PHONE)
    used_zh.goto(f"{site.base}/phone?lang=zh-CN#link={accept}")
    used_zh.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    expect(used_zh.locator('#link-facts [data-k="allows"]')).to_have_text("此链接不能再操作: 已由 guard-li 确认")


def test_a_forged_link_is_refused(site: Site, new_page: Callable[..., Page]) -> None:
    page = new_page(PHONE)
    page.goto(f"{site.base}/phone?lang=en#link=ack.inc-x.guard-li.99999999999999.AAAAAAAAAAAAAAAAAAAAAA")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    expect(page.locator("#link-result")).to_have_text(
        "Cannot load the incident: the link is not genuine (bad signature); use the link from the alert"
    )
    expect(page.locator("#link-act")).to_be_hidden()
    zh = new_page(PHONE)
    zh.goto(f"{site.base}/phone?lang=zh-CN#link=ack.inc-x.guard-li.99999999999999.AAAAAAAAAAAAAAAAAAAAAA")
    zh.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    expect(zh.locator("#link-result")).to_contain_text("链接无效")
    assert "bad signature" not in zh.locator("#link-result").inner_text()
