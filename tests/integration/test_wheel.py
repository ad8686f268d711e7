"""A built wheel carries the pages and the migrations, and the pages read from it (not from a checkout)."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_the_pages_as_package_data(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("shedwatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"dashboards/index.html", "cloud/migrations/versions/0001_initial.py"} <= names
    # Every file of the pages (assets, translations, vendored libraries and their licences) is in the wheel.
    pages = {str(p.relative_to(ROOT)) for p in (ROOT / "dashboards").rglob("*") if p.is_file()}
    pages = {p for p in pages if "__pycache__" not in p}
    assert pages <= names, sorted(pages - names)
    # Only the wheel on the path (isolated mode: no checkout, no site-packages): the page still reads.
    code = "from importlib.resources import files; print(len((files('dashboards') / 'index.html').read_text()))"
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(wheel)!r}); {code}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout) == len((ROOT / "dashboards" / "index.html").read_text())
