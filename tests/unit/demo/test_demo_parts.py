"""The demo's pure parts: a fresh data dir per run, the sheds (one open, one authorised) with QR ids that read
well, the drill's place, and the alerts' links and promise sized in real time."""

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from shedwatch.demo import availability_line, drill_socket, fresh_data_dir, real_minutes
from shedwatch.demo_alerts import alarm_toml
from shedwatch.demo_charging import parked_scenario, try_qr
from shedwatch.demo_config import demo_sheds

NOW = datetime(2026, 11, 30, 9, 27, 10, tzinfo=UTC)


def test_each_run_gets_a_data_dir_of_its_own(tmp_path: Path) -> None:
    first = fresh_data_dir(tmp_path, NOW)
    assert first == tmp_path / "run-20261130T092710Z"
    first.mkdir()
    second = fresh_data_dir(tmp_path, NOW)  # the same second: still another dir
    assert second == tmp_path / "run-20261130T092710Z-2"


def test_one_shed_open_the_other_authorised_and_qr_ids_read_well() -> None:
    a, b = demo_sheds(2, 3, 10)
    assert (a.mode, b.mode) == ("open", "authorised")
    assert [p.id for p in b.posts] == ["post-1", "post-2", "post-3"]
    assert try_qr(b) == "shed-b-post-1-2"
    assert drill_socket(a) == ("post-1", 3)


def test_the_authorised_shed_has_bikes_waiting_at_the_qr_id_given(tmp_path: Path) -> None:
    b = demo_sheds(2, 3, 10)[1]
    doc = tomllib.loads(parked_scenario(tmp_path / "shed-b.toml", b))
    assert doc["residents"] is False
    places = {f"{b.shed}-{bike['device']}-{bike['socket']}" for bike in doc["bikes"]}
    assert try_qr(b) in places and all(bike["at_s"] == 0 for bike in doc["bikes"])


def test_links_and_promise_last_real_minutes_at_any_speed() -> None:
    for speed in (1.0, 30.0):
        doc = tomllib.loads(alarm_toml("http://127.0.0.1:8000/", "127.0.0.1:9", "jinsong-north", speed))
        assert real_minutes(doc["links"]["ttl_s"], speed) == 60
        (community,) = doc["community"]
        assert real_minutes(community["ack_s"], speed) == 3 and real_minutes(community["onsite_s"], speed) == 10
    fast = tomllib.loads(alarm_toml("http://x/", "127.0.0.1:9", "c", 600.0))
    assert fast["links"]["ttl_s"] == 7 * 86400  # the most a link may live


def test_the_console_availability_line_gives_every_count_of_the_api() -> None:
    shed = {"shed": "shed-a", "free": 20, "charging": 4, "plugged": 2, "full": 1, "faulted": 1, "stopped": 2}
    line = availability_line([{**shed, "total": 30}])
    assert line == "availability: shed-a: 20 free, 4 charging, 2 plugged, 1 full, 1 faulted, 2 stopped (of 30)"
    counts = [int(n) for n in re.findall(r"(\d+) (?:free|charging|plugged|full|faulted|stopped)", line)]
    assert sum(counts) == 30
