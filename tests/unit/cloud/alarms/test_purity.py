"""The alarm and notify cores stay pure: no I/O, network, database, threads or clock reads."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
IMPURE = {"paho", "sqlalchemy", "time", "threading", "asyncio", "socket", "httpx", "apprise", "os", "subprocess"}
FILES = sorted((ROOT / "cloud" / "core" / "alarms").glob("*.py")) + sorted(
    (ROOT / "cloud" / "core" / "notify").glob("*.py")
)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_core_module_imports_nothing_impure(path: Path) -> None:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    assert not names & IMPURE, sorted(names & IMPURE)
