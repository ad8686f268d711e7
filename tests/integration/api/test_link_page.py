"""The page a signed alert link opens: times in the community's local time, links on the cloud's own address."""

import re
from datetime import datetime
from pathlib import Path

import pytest

from cloud.settings import CloudSettings
from tests.integration.api.staffapp import Staff, running

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
