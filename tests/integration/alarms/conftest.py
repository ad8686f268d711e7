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


def alarm_toml(webhook: HttpReceiver, dingtalk: HttpReceiver, smtp: SmtpReceiver, base_url: str) -> str:
    """Guard on three channels, a leader and a manager on the webhook; everyone on duty all day."""
    mail = f"mailto://127.0.0.1:{smtp.port}?from=shedwatch@example.org&to=guard@example.org&mode=insecure"
    return f"""
[links]
base_url = "{base_url}"
ttl_s = 3600

[[person]]
id = "guard-li"
targets = ["json://127.0.0.1:{webhook.port}/guard", "dingtalk+{dingtalk.url}/robot/send?access_token=t", "{mail}"]

[[person]]
id = "leader-wang"
targets = ["json://127.0.0.1:{webhook.port}/leader"]

[[person]]
id = "manager-zhao"
targets = ["json://127.0.0.1:{webhook.port}/manager"]

[[community]]
name = "default"
[[community.shift]]
role = "guard"
person = "guard-li"
[[community.shift]]
role = "shift_leader"
person = "leader-wang"
[[community.shift]]
role = "property_manager"
person = "manager-zhao"

[shed.shed-a]
cameras = ["rtsp://cam-1.local/stream"]
"""


def write_alarm_toml(path: Path, *args: object) -> Path:
    """Write the config file."""
    path.write_text(alarm_toml(*args))  # type: ignore[arg-type]
    return path
