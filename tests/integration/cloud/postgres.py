"""A fresh PostgreSQL schema per test on the machine's server (started by scripts/ensure-postgres.sh)."""

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

BASE_URL = os.environ.get("SHEDWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[3]


def _reachable() -> bool:
    engine = create_engine(BASE_URL)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def ensure_postgres() -> None:
    """Start PostgreSQL when it does not answer (never skip: a test that needs it fails instead)."""
    if _reachable():
        return
    subprocess.run(["bash", str(REPO / "scripts" / "ensure-postgres.sh")], check=True)
    if not _reachable():
        raise RuntimeError(f"PostgreSQL at {BASE_URL} does not answer even after scripts/ensure-postgres.sh")


@contextmanager
def fresh_schema() -> Iterator[str]:
    """Yield a URL whose search_path is a new, empty schema; drop it afterwards."""
    ensure_postgres()
    schema = f"sw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(BASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{BASE_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
