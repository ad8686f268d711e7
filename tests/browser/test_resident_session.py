"""A resident on the residents' page: logged in, starts charging by typing the socket's QR id, sees the session
start (the edge confirms it), its energy and cost grow, stops it, and sees it end; the wallet is shown."""

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from protocol.uplink import SessionMeter, SocketStatus
from shedwatch.mosquitto import Mosquitto
from tests.browser.conftest import PHONE, Site, _start_site, assert_accessible
from tests.integration.cloud.helpers import birth, operator, wait_for
from tests.integration.cloud.session_edge import ScriptedEdge

pytestmark = [pytest.mark.integration, pytest.mark.browser]
TARIFF = {"schedule": [{"start": "00:00", "period": "flat"}], "per_kwh": {"flat": 0.8}}


@pytest.fixture
def charging_site(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[tuple[Site, ScriptedEdge]]:
    """An authorised shed-a whose edge is scripted (answers start / stop), a tariff, and 10 yuan for resident res-1."""
    site = _start_site(tmp_path, mosquitto, mode="authorised", birth_sockets=False)
    edge = ScriptedEdge(mosquitto.port, refuse_socket=9)
    edge.send(lambda seq: birth("shed-a", seq, {("post-1", n): SocketStatus.PLUGGED for n in range(1, 11)}))
    password = site.account("resident", "res-1")  # the wallet's owner exists before the credit
    login = httpx.post(f"{site.base}/api/v1/auth/login", json={"username": "res-1", "password": password}, timeout=30)
    cookie = {"Cookie": f"shedwatch_session={login.cookies['shedwatch_session']}"}
    me = httpx.get(f"{site.base}/api/v1/me", headers=cookie, timeout=10).json()
    admin = site.bearer("admin")
    r = httpx.put(f"{site.base}/api/v1/communities/jinsong-north/tariff", json=TARIFF, headers=admin, timeout=10)
    assert r.status_code == 200, r.text
    credit = {"amount_fen": 1000, "community": "jinsong-north"}
    r = httpx.post(f"{site.base}/api/v1/residents/{me['id']}/wallet/credits", json=credit, headers=admin, timeout=10)
    assert r.status_code == 201, r.text
    yield site, edge
    edge.close()
    site.close()


def test_resident_starts_watches_and_stops_a_session(
    charging_site: tuple[Site, ScriptedEdge], new_page: Callable[..., Page]
) -> None:
    site, edge = charging_site
    page = site.login_as(new_page(PHONE), "resident", user_id="res-1")
    page.goto(f"{site.base}/resident?lang=en&qr=shed-a-post-1-2")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    expect(page.locator("#wallet")).to_have_text("¥10.00")
    expect(page.locator("[data-k='session-none']")).to_be_visible()
    assert page.locator("#qr").input_value() == "shed-a-post-1-2"  # the socket's QR code opened the page
    page.click("#start-form button[type=submit]")
    state = page.locator("[data-k='session-state']")
    expect(state).to_have_text("charging", timeout=15_000)  # the edge confirmed the start
    session = page.locator("[data-session]").get_attribute("data-session")
    assert session
    edge.send(
        lambda seq: SessionMeter(
            src="shed-a",
            seq=seq,
            ts=time.time_ns() // 1_000_000,
            session=session,
            device="post-1",
            socket=2,
            energy_wh=500.0,
            duration_s=1200,
        )
    )
    expect(page.locator("[data-session]")).to_contain_text("0.50 kWh", timeout=15_000)
    expect(page.locator("[data-session]")).to_contain_text(re.compile(r"¥0\.40"))
    assert_accessible(page)
    page.click("#stop")
    expect(page.locator("[data-k='session-none']")).to_be_visible(timeout=15_000)


def _open_resident(site: Site, page: Page, query: str = "lang=en") -> Page:
    page = site.login_as(page, "resident", user_id="res-1")
    page.goto(f"{site.base}/resident?{query}")
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    return page


def _after_refreshes(page: Page, n: int = 2) -> None:
    """Wait until the opt-ins form was re-rendered n more times (each stream burst and each ping refreshes it)."""
    before = page.evaluate("window.shedwatch.resident.notifyRenders")
    page.wait_for_function(f"() => window.shedwatch.resident.notifyRenders >= {before + n}", timeout=30_000)


def test_the_notification_form_keeps_what_the_resident_typed_across_refreshes(
    charging_site: tuple[Site, ScriptedEdge], new_page: Callable[..., Page]
) -> None:
    site, _ = charging_site
    page = _open_resident(site, new_page(PHONE))
    form = page.locator("#notify-form")
    expect(form.locator("input[name='finished']")).to_be_enabled(timeout=15_000)  # the server's settings arrived
    form.locator("input[name='finished']").check()
    form.locator("input[name='free_socket']").check()
    page.fill("#notify-url", "json://127.0.0.1:9/res-1")
    _after_refreshes(page)  # the page refreshed twice under the resident's hands
    expect(form.locator("input[name='finished']")).to_be_checked()
    expect(form.locator("input[name='free_socket']")).to_be_checked()
    expect(form.locator("input[name='stopped']")).not_to_be_checked()
    expect(page.locator("#notify-url")).to_have_value("json://127.0.0.1:9/res-1")
    page.click("#lang")  # a language switch keeps the ticks too
    expect(form.locator("input[name='free_socket']")).to_be_checked()
    page.click("#notify-form button[type=submit]")
    expect(page.locator("#notify-result")).to_have_text("已保存", timeout=15_000)
    saved = page.request.get(f"{site.base}/api/v1/me/notifications").json()  # as the page's logged-in resident
    assert saved["finished"] and saved["free_socket"] and not saved["stopped"], saved
    assert saved["channel"] == "json://127.0.0.1:9/res-1", saved
    _after_refreshes(page)  # saved: the server's values fill it again, and they are what was typed
    expect(form.locator("input[name='finished']")).to_be_checked()
    expect(page.locator("#notify-url")).to_have_value("json://127.0.0.1:9/res-1")


def test_a_start_on_a_stopped_or_refusing_socket_says_why_in_plain_words(
    charging_site: tuple[Site, ScriptedEdge], new_page: Callable[..., Page]
) -> None:
    site, edge = charging_site
    edge.send(lambda seq: operator("shed-a", seq, "post-1", 4, stop=True, actor="op-li"))

    def stopped() -> bool:
        sheds = httpx.get(f"{site.base}/api/v1/availability", timeout=10).json()["sheds"]
        return bool(sheds[0]["stopped"] == 1)

    wait_for(stopped, timeout=30, what="post-1/4 stopped in availability")
    page = _open_resident(site, new_page(PHONE), "lang=en&qr=shed-a-post-1-4")
    page.click("#start-form button[type=submit]")
    error = page.locator("#session-error")
    expect(error).to_have_text("Not done: This socket has been switched off by staff; try another one.", timeout=15_000)
    assert "start_socket" not in error.inner_text()
    expect(page.locator("[data-k='session-none']")).to_be_visible()
    # the edge refuses socket 9 (scripted): 201 with the session ended, refused; the page says so plainly
    page.fill("#qr", "shed-a-post-1-9")
    page.click("#start-form button[type=submit]")
    expect(error).to_have_text("The shed did not switch this socket on; try another one.", timeout=15_000)
    page.click("#lang")
    page.fill("#qr", "shed-a-post-1-4")
    page.click("#start-form button[type=submit]")
    expect(error).to_have_text("未完成：这个充电口已被工作人员关闭，请换一个充电口。", timeout=15_000)  # noqa: RUF001
    assert_accessible(page)
