"""The page a signed alert link opens: times in the community's local time, links on the cloud's own address."""

import re
from datetime import datetime
from pathlib import Path

import pytest

from cloud.auth.accounts import User
from cloud.core.access.roles import Role
from cloud.settings import CloudSettings
from cloud.state import account_rows
from tests.integration.api.staffapp import (
    Staff,
    running,
    staff_fixture,  # noqa: F401 - provides the staff fixture
)

pytestmark = pytest.mark.integration


async def test_link_page_shows_local_iso_times_and_links_follow_the_port(tmp_path: Path) -> None:
    settings = CloudSettings(data_dir=tmp_path, ingest=False, alarm_tick_s=30, port=18_123)
    async with running(settings) as staff:
        await _check(staff)


async def _check(staff: Staff) -> None:
    runner = staff.cloud.alarms
    assert runner is not None
    links = runner.service.links(staff.incident_id, "guard-li", runner.clock.now_ms())
    # No [links] base_url configured: the links point at this cloud's own HOST:PORT, not a fixed 8080.
    assert links["view"].startswith("http://127.0.0.1:18123/api/v1/alarms/link/"), links
    page = (await staff.client.get(links["view"].removeprefix("http://127.0.0.1:18123"))).text
    stamps = re.findall(r"<time datetime='([^']+)' data-ms='(\d+)'>\1</time>", page)
    assert stamps, page
    for iso, ms in stamps:
        when = datetime.fromisoformat(iso)
        # Asia/Shanghai (the default community zone): +08:00, and the same instant as the epoch ms.
        assert iso.endswith("+08:00") and int(when.timestamp() * 1000) // 1000 == int(ms) // 1000, (iso, ms)
    assert "(Asia/Shanghai)" in page


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


async def test_link_page_is_chinese_by_default_english_on_request(staff: Staff) -> None:
    runner = staff.cloud.alarms
    assert runner is not None
    links = runner.service.links(staff.incident_id, "guard-li", runner.clock.now_ms())
    view = _path(links["view"])
    zh = await staff.client.get(view)  # no preference (a chat app's preview, a bare phone browser)
    assert zh.headers["content-language"] == "zh-CN" and "Accept-Language" in zh.headers["vary"]
    page = zh.text
    assert "<html lang='zh-CN'>" in page
    assert f"<title>事件: {staff.incident_id}</title>" in page
    assert "故障报警" in page and "首个报警信号" in page and "在手机页面中打开" in page  # class, timeline kind, link
    assert "Open in the phone view" not in page and "opened" not in page
    assert "<a href='?lang=en' hreflang='en' lang='en'>English</a>" in page  # the switch
    for en in (
        await staff.client.get(view + "?lang=en"),
        await staff.client.get(view, headers={"Accept-Language": "en-GB,en;q=0.9"}),
    ):
        assert en.headers["content-language"] == "en"
        assert "<html lang='en'>" in en.text and "Open in the phone view" in en.text and "first signal" in en.text
        assert "Trouble" in en.text and "首个报警信号" not in en.text
    # The page's switch outranks the browser's preference.
    assert (
        "<html lang='zh-CN'>" in (await staff.client.get(view + "?lang=zh-CN", headers={"Accept-Language": "en"})).text
    )
    # The JSON form is untouched by the language.
    js = await staff.client.get(view, headers={"Accept": "application/json", "Accept-Language": "en"})
    assert js.json()["incident"]["id"] == staff.incident_id


async def test_an_ack_link_asks_and_answers_in_the_page_language(staff: Staff) -> None:
    runner = staff.cloud.alarms
    assert runner is not None
    links = runner.service.links(staff.incident_id, "guard-li", runner.clock.now_ms())
    ack = _path(links["ack"])
    page = (await staff.client.get(ack)).text
    assert f"<title>确认接警: {staff.incident_id}</title>" in page
    assert "<button style='font-size:2em'>确认接警</button>" in page and "<form method=post>" in page
    done = await staff.client.post(ack + "?lang=en")  # the form posts to the page's own address, ?lang= kept
    assert done.status_code == 200 and "Recorded for guard-li." in done.text and "<html lang='en'>" in done.text
    onsite = await staff.client.post(_path(links["onsite"]))
    assert onsite.status_code == 200 and "已为 guard-li 记录。" in onsite.text


async def test_a_refused_link_answers_a_page_in_its_language_and_json_to_api_clients(staff: Staff) -> None:
    runner = staff.cloud.alarms
    assert runner is not None
    links = runner.service.links(staff.incident_id, "guard-li", runner.clock.now_ms())
    ack = _path(links["ack"])
    assert (await staff.client.post(ack)).status_code == 200
    # The page no longer offers the button the POST would refuse (the JSON view's allows: []), and says why.
    page = (await staff.client.get(ack)).text
    assert "<form method=post>" not in page and "此链接不能再操作: 已由 guard-li 确认" in page, page
    assert (await staff.client.get(ack, headers={"Accept": "application/json"})).json()["link"]["allows"] == []
    # The form's post again (a browser wants HTML): 409, a page in the GET's language.
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    zh = await staff.client.post(ack, headers=html)
    assert zh.status_code == 409 and zh.headers["content-type"].startswith("text/html"), zh.text
    assert "<html lang='zh-CN'>" in zh.text and "已由 guard-li 确认" in zh.text
    en = await staff.client.post(ack + "?lang=en", headers=html)
    assert en.status_code == 409 and "already accepted by guard-li" in en.text
    api = await staff.client.post(ack, headers={"Accept": "application/json"})
    assert api.status_code == 409 and api.json() == {"detail": "already acknowledged by guard-li"}


async def test_an_expired_link_answers_a_page_in_its_language(staff: Staff) -> None:
    runner = staff.cloud.alarms
    assert runner is not None
    links = runner.service.links(staff.incident_id, "guard-li", runner.clock.now_ms() - 10 * 86_400_000)
    ack = _path(links["ack"])
    for answer in (await staff.client.post(ack), await staff.client.get(ack)):
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html"), answer.text
        assert "链接已过期" in answer.text and "<html lang='zh-CN'>" in answer.text
    en = await staff.client.post(ack, headers={"Accept-Language": "en"})
    assert en.status_code == 403 and "the link has expired" in en.text
    api = await staff.client.post(ack, headers={"Accept": "application/json"})
    assert api.status_code == 403 and api.json() == {"detail": "link expired"}


async def test_link_pages_name_people_as_they_are_known(staff: Staff) -> None:
    with staff.cloud.stores.state.engine.begin() as conn:  # the guard's account, with the name colleagues know
        account_rows.insert(conn, User("u-3f9c", "li.wei", "Li Wei", Role.SECURITY, frozenset({"c1"}), False, False, 0))
    runner = staff.cloud.alarms
    assert runner is not None
    links = runner.service.links(staff.incident_id, "u-3f9c", runner.clock.now_ms())
    done = await staff.client.post(_path(links["ack"]) + "?lang=en")
    assert done.status_code == 200 and "Recorded for Li Wei." in done.text, done.text
    page = (await staff.client.get(_path(links["view"]) + "?lang=en")).text
    assert "Li Wei" in page and "u-3f9c" not in page.split("<ol>", 1)[1], page  # the timeline names, no ids
    again = await staff.client.post(_path(links["ack"]) + "?lang=en")
    assert again.status_code == 409 and "already accepted by Li Wei" in again.text
