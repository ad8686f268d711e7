"""Fixtures shared by every test layer: real mosquitto brokers on free ports."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shedwatch.mosquitto import Mosquitto

# Tests run the cloud as a development deployment (a random token key per process) unless a test says
# otherwise; set before any test builds CloudSettings, and inherited by every `shedwatch cloud` child process.
# The production default (refuse to start without a secret) is tested in tests/unit/cloud/accounts.
os.environ.setdefault("SHEDWATCH_CLOUD_ENVIRONMENT", "development")


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[Callable[..., Mosquitto]]:
    """Start any number of independent brokers; all are stopped after the test."""
    started: list[Mosquitto] = []

    def start(**kwargs: object) -> Mosquitto:
        workdir = tmp_path / f"mosquitto-{len(started)}"
        broker = Mosquitto(workdir=workdir, **kwargs)  # type: ignore[arg-type]
        started.append(broker)
        return broker.start()

    yield start
    for broker in started:
        broker.kill()


@pytest.fixture
def mosquitto(mosquitto_factory: Callable[..., Mosquitto]) -> Mosquitto:
    """One fresh broker (persistent, so restart drills keep sessions) on a free port."""
    return mosquitto_factory(persistence=True)
