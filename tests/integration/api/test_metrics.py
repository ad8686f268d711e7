"""GET /metrics (Prometheus text) counts requests per route and reads the parts' counters; GET /readyz."""

import asyncio
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cloud.api.app import create_app
from cloud.settings import CloudSettings
from tests.apiauth import bearer

pytestmark = pytest.mark.integration


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_metrics_and_readiness(tmp_path: Path) -> None:
    settings = CloudSettings(data_dir=tmp_path, ingest=False, alarms=True, live_poll_s=0.05)
    app = create_app(settings)
    admin = bearer(settings, "admin", (), everywhere=True)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for _ in range(3):
            assert (await client.get("/api/v1/availability")).status_code == 200
        assert (await client.get("/api/v1/sheds/shed-a/sockets/post-1/1", headers=admin)).status_code == 404
        assert (await client.get("/no/such/path")).status_code == 404
        r = await client.get("/metrics")
        # exactly as docs/api.md says (prometheus-client's CONTENT_TYPE_LATEST)
        assert r.status_code == 200 and r.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
        got = samples(r.text)
        req = "shedwatch_http_requests_total"
        assert got[(req, (("method", "GET"), ("route", "/api/v1/availability"), ("status", "200")))] == 3
        socket_route = "/api/v1/sheds/{shed}/sockets/{device}/{socket}"
        assert got[(req, (("method", "GET"), ("route", socket_route), ("status", "404")))] == 1
        assert got[(req, (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1
        hist = "shedwatch_http_request_duration_seconds_count"
        assert got[(hist, (("method", "GET"), ("route", "/api/v1/availability")))] == 3
        assert got[("shedwatch_stream_clients", ())] == 0
        assert got[("shedwatch_bus_published_total", ())] == 0
        assert got[("shedwatch_feed_follower_errors_total", ())] == 0
        assert ("shedwatch_notifier_delivered_total", ()) in got
        assert ("shedwatch_ingest_received_total", ()) not in got  # ingest runs elsewhere

        # The alarm service decides its leader in its first pass; a private SQLite has one process: this one.
        for _ in range(200):
            r = await client.get("/readyz")
            if r.status_code == 200 and r.json()["leader"]:
                break
            await asyncio.sleep(0.05)
        assert r.json() == {
            "ready": True,
            "checks": {"state_store": True, "telemetry_store": True, "ingest": True, "alarms": True},
            "leader": True,
        }
        got = samples((await client.get("/metrics")).text)
        assert got[("shedwatch_alarm_leader", ())] == 1
        await asyncio.to_thread(app.state.cloud.follower.stop)  # the feed follower died: not ready
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["ready"] is False and r.json()["checks"]["ingest"] is False
