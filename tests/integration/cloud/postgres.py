"""PostgreSQL for the state-store tests: a fresh schema per test, never a skip.

Order of attempts: the machine's server at SHEDWATCH_TEST_POSTGRES_URL (default 127.0.0.1:5432, trust auth,
database 'test'); else scripts/ensure-postgres.sh starts and configures it; else a private cluster (initdb,
as the postgres user when running as root) on a free port, stopped when the test run ends.
"""

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from shedwatch.ports import free_port

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REPO = Path(__file__).resolve().parents[3]
_url: str | None = None


def _reachable(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"{name} not found: install postgresql (scripts/setup.sh --test)")
    return found[-1]


def private_cluster() -> str:
    """initdb a throwaway cluster on a free port (trust auth, database 'test'); its URL."""
    root = os.geteuid() == 0
    data = Path(tempfile.mkdtemp(prefix="sw-pg-"))
    port = free_port()
    as_pg = ["runuser", "-u", "postgres", "--"] if root else []
    if root:
        shutil.chown(data, "postgres", "postgres")
    run = lambda *cmd: subprocess.run([*as_pg, *cmd], check=True, capture_output=True)  # noqa: E731
    run(_pg_bin("initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(_pg_bin("pg_ctl"), "-D", str(data / "db"), "-o", opts, "-l", str(data / "log"), "-w", "start")
    atexit.register(
        lambda: subprocess.run(
            [*as_pg, _pg_bin("pg_ctl"), "-D", str(data / "db"), "-m", "fast", "stop"], capture_output=True
        )
    )
    run(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "test")
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"


def postgres_url() -> str:
    """A reachable PostgreSQL URL, starting a server if needed (see the module docstring)."""
    global _url
    if _url is not None:
        return _url
    url = os.environ.get("SHEDWATCH_TEST_POSTGRES_URL", DEFAULT_URL)
    if not _reachable(url) and "SHEDWATCH_TEST_POSTGRES_URL" not in os.environ:
        subprocess.run(["bash", str(REPO / "scripts" / "ensure-postgres.sh")], check=False)
        if not _reachable(url):
            url = private_cluster()
    if not _reachable(url):
        raise RuntimeError(f"PostgreSQL at {url} does not answer")
    _url = url
    return url


@contextmanager
def fresh_schema() -> Iterator[str]:
    """Yield a URL whose search_path is a new, empty schema; drop it afterwards."""
    base = postgres_url()
    schema = f"sw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
