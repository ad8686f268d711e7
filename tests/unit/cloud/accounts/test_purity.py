"""The accounts policy modules stay pure: no clock, threads, sockets, databases or MQTT inside."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
PURE = [
    *sorted((ROOT / "cloud/core/access").glob("*.py")),
    *sorted((ROOT / "cloud/core/tariff").glob("*.py")),
    *sorted((ROOT / "cloud/core/charging").glob("*.py")),
    *sorted((ROOT / "cloud/core/eta").glob("*.py")),
    ROOT / "cloud/auth/throttle.py",
    ROOT / "cloud/auth/csrf.py",
    ROOT / "cloud/auth/accounts.py",
]
# Top-level packages named by import statements (ruff keeps one module per ``import`` line).
IMPORTED = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", re.MULTILINE)
FORBIDDEN = {"time", "threading", "asyncio", "socket", "sqlalchemy", "paho", "aiomqtt", "httpx", "fastapi", "random"}


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_io_or_clock_imports(path: Path) -> None:
    source = path.read_text()
    assert not set(IMPORTED.findall(source)) & FORBIDDEN
    assert ".now(" not in source and "today(" not in source  # no wall clock through datetime either


def test_the_pure_modules_were_found() -> None:
    assert len(PURE) >= 15
