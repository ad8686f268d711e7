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
from tests.integration.cloud.helpers import birth
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
