"""Dependency direction: protocol <- edge, cloud, simulators; none of those import each other."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "protocol": {"edge", "cloud", "simulators", "shedwatch", "bench"},
    "edge": {"cloud", "simulators", "bench"},
    "cloud": {"edge", "simulators", "bench"},
    "simulators": {"edge", "cloud", "bench"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_it_may(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no Python files"
    bad = {f"{f.relative_to(ROOT)} imports {name}" for f in files for name in _imports(f) & FORBIDDEN[package]}
    assert not bad, sorted(bad)
