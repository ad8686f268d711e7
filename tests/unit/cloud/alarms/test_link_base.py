"""The signed links' base: the alarm TOML's [links] base_url wins, else the cloud's own HOST:PORT."""

import socket

import pytest
from sqlalchemy import create_engine

from cloud.alarms.config import AlarmConfig, Links, own_base_url
from cloud.alarms.service import AlarmService


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 18080, "http://127.0.0.1:18080"),
        ("shed-cloud.lan", 80, "http://shed-cloud.lan:80"),
        ("::1", 9000, "http://[::1]:9000"),
        ("0.0.0.0", 8081, f"http://{socket.gethostname()}:8081"),
    ],
)
def test_own_base_url(host: str, port: int, expected: str) -> None:
    assert own_base_url(host, port) == expected


def service(config: AlarmConfig) -> AlarmService:
    engine = create_engine("sqlite://")  # links() reads nothing from it
    return AlarmService(
        engine, sqlite=True, config=config, link_secret=b"0123456789abcdef", default_base_url="http://10.0.0.5:18080"
    )


def test_links_follow_the_cloud_unless_the_toml_names_a_base() -> None:
    own = service(AlarmConfig()).links("inc-1", "guard-li", 0)
    assert all(url.startswith("http://10.0.0.5:18080/api/v1/alarms/link/") for url in own.values()), own
    named = service(AlarmConfig(links=Links(base_url="https://sw.example.org/"))).links("inc-1", "guard-li", 0)
    assert all(url.startswith("https://sw.example.org/api/v1/alarms/link/") for url in named.values()), named
