"""One shed TOML parser: edge, cloud and simulator accept and refuse the same files."""

from pathlib import Path

import pytest

from edge.errors import ConfigError
from edge.settings import load_config
from protocol.shedfile import ShedFileError, load_shed_file
from simulators.scenario import ScenarioError
from simulators.scenario import load_shed_config as sim_load

GOOD = """
[agent]
cloud_broker = "mqtts://edge-a:secret@cloud.example:8883"

[shed]
shed = "shed-a"
community = "north"
posts = [{ id = "post-1", sockets = 10 }]
sensors = ["env-1"]
"""


def test_a_good_file_gives_the_shed_and_the_raw_agent_table(tmp_path: Path) -> None:
    path = tmp_path / "shed.toml"
    path.write_text(GOOD)
    parsed = load_shed_file(path)
    assert parsed.shed.shed == "shed-a" and parsed.shed.posts[0].sockets == 10
    assert parsed.agent == {"cloud_broker": "mqtts://edge-a:secret@cloud.example:8883"}
    assert load_config(path).shed == parsed.shed == sim_load(path)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (GOOD.replace("sockets = 10", 'sockets = "10"'), "posts.0.sockets"),
        (GOOD.replace("[shed]", "[shedd]"), "no [shed] table"),
        (GOOD.replace('community = "north"', "community = 5"), "community"),
    ],
)
def test_every_reader_refuses_the_same_bad_file_naming_the_field(tmp_path: Path, text: str, names: str) -> None:
    path = tmp_path / "shed.toml"
    path.write_text(text)
    with pytest.raises(ShedFileError, match=names.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        load_shed_file(path)
    with pytest.raises(ConfigError, match=names.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        load_config(path)
    with pytest.raises(ScenarioError):
        sim_load(path)


def test_camera_links_are_cloud_inventory_checked_against_the_posts(tmp_path: Path) -> None:
    path = tmp_path / "shed.toml"
    cams = '\n[[cameras]]\nid = "cam-1"\nname = "entrance"\nurl = "rtsp://10.0.0.5:554/s1"\nposts = ["post-1"]\n'
    path.write_text(GOOD + cams)
    (cam,) = load_shed_file(path).cameras
    assert (cam.id, cam.url, cam.posts) == ("cam-1", "rtsp://10.0.0.5:554/s1", ["post-1"])
    assert load_config(path).shed == load_shed_file(path).shed  # the edge ignores them
    for bad, names in [
        (cams.replace('["post-1"]', '["post-9"]'), "unknown posts"),
        (cams.replace("rtsp://10.0.0.5", "rtsp://admin:pw@10.0.0.5"), "url"),  # no credentials in links
        (cams + cams, "unique"),
    ]:
        path.write_text(GOOD + bad)
        with pytest.raises(ShedFileError, match=names):
            load_shed_file(path)
