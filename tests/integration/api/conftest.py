"""Fixtures of the API tests: the app served by a real uvicorn on a free port, in a thread of the test process
(so a test can reach the app's stores and live state, and override the caller's principal)."""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from cloud.api.app import create_app
from cloud.settings import CloudSettings
from shedwatch.ports import free_port


class Served:
    """A running app: its base URL and the FastAPI object."""

    def __init__(self, app: FastAPI, base: str) -> None:
        self.app = app
        self.base = base


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """serve(**settings) -> Served; every server is stopped at the end."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**overrides: object) -> Served:
        fields: dict[str, Any] = {"data_dir": tmp_path / f"cloud{len(servers)}", "ingest": False, "alarms": False}
        settings = CloudSettings(**{**fields, **overrides})
        app = create_app(settings)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return Served(app, base)
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the API did not start")

    yield start
    for server, _ in servers:
        server.should_exit = True
    for _, thread in servers:
        thread.join(15)
