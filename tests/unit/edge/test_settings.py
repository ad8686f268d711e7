"""Loading the shed TOML: agent settings and the shed config, with clear errors."""

from pathlib import Path

import pytest

from edge.errors import ConfigError
from edge.settings import load_config, parse_config

GOOD = """
[agent]
shed_broker = "mqtt://127.0.0.1:18830"
cloud_broker = "mqtts://edge:secret@cloud.example:8883"
data_dir = "/tmp/x"

[shed]
shed = "shed-a"
community = "jinsong-north"
extinguishers = ["ext-1"]
sensors = ["env-1"]
[[shed.posts]]
id = "post-1"
sockets = 10
[shed.thresholds]
socket_overtemp_c = 60.0
"""


def test_loads_the_shared_format(tmp_path: Path) -> None:
    path = tmp_path / "shed.toml"
    path.write_text(GOOD)
    cfg = load_config(path)
    assert cfg.shed.shed == "shed-a" and cfg.shed.posts[0].sockets == 10
    assert cfg.shed.thresholds.socket_overtemp_c == 60.0
    assert cfg.shed.thresholds.over_power_w == 1000.0
    assert cfg.agent.cloud_broker.startswith("mqtts://")


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({}, "no \\[shed\\] table"),
        ({"shed": {"shed": "Bad Id"}}, "\\[shed\\]: shed"),
        ({"agent": {"shed_broker": "http://x"}, "shed": {"shed": "s"}}, "\\[agent\\]: shed_broker"),
        ({"agent": {"nope": 1}, "shed": {"shed": "s"}}, "\\[agent\\]: nope"),
        ({"shed": {"shed": "s", "thresholds": {"post_soft_limit_w": 9000.0}}}, "soft_limit"),
    ],
)
def test_rejects_bad_config_with_the_field(doc: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_config(doc)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[agent\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_environment_fills_what_the_file_leaves_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEDWATCH_EDGE_CLOUD_BROKER", "mqtts://shed-a:pw@cloud.example:8883")
    monkeypatch.setenv("SHEDWATCH_EDGE_SHED_BROKER", "mqtt://edge:pw@127.0.0.1:1999")
    cfg = parse_config({"agent": {"shed_broker": "mqtt://127.0.0.1:18830"}, "shed": {"shed": "s"}})
    assert cfg.agent.cloud_broker == "mqtts://shed-a:pw@cloud.example:8883"
    assert cfg.agent.shed_broker == "mqtt://127.0.0.1:18830", "the file wins"


@pytest.mark.parametrize("client_id", ["edge-shed-b", "edge-shed-ab", "edge-shed-a-io", "shed-a", "edgeshed-a"])
def test_client_id_must_name_the_shed(tmp_path: Path, client_id: str) -> None:
    path = tmp_path / "shed.toml"
    path.write_text(GOOD.replace('data_dir = "/tmp/x"', f'data_dir = "/tmp/x"\nclient_id = "{client_id}"'))
    with pytest.raises(ConfigError, match=r"\[agent\]: client_id: .* does not name shed 'shed-a'"):
        load_config(path)


@pytest.mark.parametrize("client_id", ["edge-shed-a", "edge-shed-a-2"])
def test_client_id_naming_the_shed_is_taken(tmp_path: Path, client_id: str) -> None:
    path = tmp_path / "shed.toml"
    path.write_text(GOOD.replace('data_dir = "/tmp/x"', f'data_dir = "/tmp/x"\nclient_id = "{client_id}"'))
    assert load_config(path).agent.client_id == client_id
