"""Fixtures: real receivers, a real SQLite (or PostgreSQL) state store, an alarm config pointing at the receivers."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.alarms.receivers import HttpReceiver, SmtpReceiver
from tests.integration.cloud.conftest import cloud_factory, shed_config  # noqa: F401 - shared fixtures


@pytest.fixture
def webhook() -> Iterator[HttpReceiver]:
    """A generic JSON webhook receiver."""
    r = HttpReceiver().up()
    yield r
    r.down()


@pytest.fixture
def dingtalk() -> Iterator[HttpReceiver]:
    """A receiver that answers like a DingTalk robot."""
    r = HttpReceiver(dingtalk=True).up()
    yield r
    r.down()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """A local SMTP server."""
    r = SmtpReceiver().start()
    yield r
    r.stop()


ROLES = {"guard-li": "guard", "leader-wang": "shift_leader", "manager-zhao": "property_manager"}


def rota_toml(base_url: str, targets: dict[str, list[str]], *, community: str = "default", extra: str = "") -> str:
    """guard-li, leader-wang and manager-zhao on duty all day as guard, shift leader and property manager."""
    lines = ["[links]", f'base_url = "{base_url}"', "ttl_s = 3600", ""]
    for person, urls in targets.items():
        lines += ["[[person]]", f'id = "{person}"', "targets = [" + ", ".join(f'"{u}"' for u in urls) + "]", ""]
    lines += ["[[community]]", f'name = "{community}"']
    for person, role in ROLES.items():
        lines += ["[[community.shift]]", f'role = "{role}"', f'person = "{person}"']
    return "\n".join(lines) + "\n" + extra


def alarm_toml(webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver, base_url: str) -> str:
    """Guard on three channels, a leader and a manager on the webhook; everyone on duty all day."""
    mail = f"mailto://127.0.0.1:{smtp.port}?from=shedwatch@example.org&to=guard@example.org&mode=insecure"
    hook = f"json://127.0.0.1:{webhook.port}"
    targets = {
        "guard-li": [f"{hook}/guard", f"dingtalk+{dingtalk.url}/robot/send?access_token=t", mail],
        "leader-wang": [f"{hook}/leader"],
        "manager-zhao": [f"{hook}/manager"],
    }
    return rota_toml(base_url, targets, extra='\n[shed.shed-a]\ncameras = ["rtsp://cam-1.local/stream"]\n')


def write_alarm_toml(path: Path, *args: object) -> Path:
    """Write the config file."""
    path.write_text(alarm_toml(*args))  # type: ignore[arg-type]
    return path
