"""The accounts policy modules stay pure: no clock, threads, sockets, databases or MQTT inside."""

from pathlib import Path

import pytest

from tests.unit.test_architecture import _imports

ROOT = Path(__file__).resolve().parents[4]
PURE = [
    *sorted((ROOT / "cloud/core/access").glob("*.py")),
    *sorted((ROOT / "cloud/core/tariff").glob("*.py")),
    *sorted((ROOT / "cloud/core/charging").glob("*.py")),
    *sorted((ROOT / "cloud/core/eta").glob("*.py")),
    ROOT / "cloud/auth/throttle.py",
]
FORBIDDEN = {"time", "threading", "asyncio", "socket", "sqlalchemy", "paho", "aiomqtt", "httpx", "fastapi", "random"}


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_io_or_clock_imports(path: Path) -> None:
    names = _imports(path)
    assert not names & FORBIDDEN
    source = path.read_text()
    assert ".now(" not in source and "today(" not in source  # no wall clock through datetime either


def test_the_pure_modules_were_found() -> None:
    assert len(PURE) >= 15
