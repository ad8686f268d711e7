"""Dependency direction, checked by import-linter with the contracts in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(exe), "--no-cache", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_import_linter_contracts_in_pyproject_are_kept() -> None:
    # protocol at the bottom; edge, cloud, simulators independent; the cloud's core pure; no product imports
    # the shedwatch command, benchmarks or test tooling. The contracts live in pyproject.toml.
    out = _lint_imports()
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_import_linter_sees_a_broken_contract(tmp_path: Path) -> None:
    # The tool really reads our imports: a contract the code breaks (the core uses protocol) is reported.
    config = tmp_path / "broken.ini"
    config.write_text(
        "[importlinter]\nroot_packages =\n    cloud\n    protocol\n\n"
        "[importlinter:contract:core-without-protocol]\nname = core without protocol\ntype = forbidden\n"
        "source_modules =\n    cloud.core\nforbidden_modules =\n    protocol\n"
    )
    out = _lint_imports("--config", str(config))
    assert out.returncode == 1 and "BROKEN" in out.stdout.upper(), out.stdout[-2000:]
