"""Prometheus metrics of one API process: HTTP requests (an ASGI middleware) and, read at scrape time, the
counters the cloud's parts already keep (ingest, bus, alarm service, notifier, live stream).

Each app has its own registry (never the library's global one), so several apps in one process (tests) do not
collide. Route labels are the route's template (``/api/v1/sheds/{shed}/cameras``), or ``unmatched``, so a
scanner cannot grow the label set.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from cloud.api.deps import CloudState

# Latency buckets (s): the availability target is a p99 of 20 ms, so most resolution sits below 50 ms.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class ApiMetrics:
    """The registry and the HTTP request metrics."""

    def __init__(self, cloud: "Callable[[], CloudState | None]") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "shedwatch_http_requests",
            "HTTP requests answered, by method, route template and status code",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "shedwatch_http_request_duration_seconds",
            "Time from a request's arrival to its response's start (for the stream: until the stream opens)",
            ("method", "route"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.registry.register(PartsCollector(cloud))


class MeasureRequests:
    """ASGI middleware: count and time every HTTP request into ``metrics`` (``app.add_middleware``)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        metrics = self.metrics

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The router has matched by now and left the route in the (shared) scope.
                template = getattr(scope.get("route"), "path", "unmatched")
                method = scope["method"]
                metrics.latency.labels(method, template).observe(time.perf_counter() - start)
                metrics.requests.labels(method, template, str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, timed_send)


def _counter(name: str, doc: str, value: float, labels: dict[str, str] | None = None) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=list(labels) if labels else None)
    family.add_metric(list(labels.values()) if labels else [], value)
    return family


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class PartsCollector(Collector):
    """Reads the parts' own counters at scrape time (nothing is counted twice)."""

    def __init__(self, cloud: "Callable[[], CloudState | None]") -> None:
        self.cloud = cloud

    def describe(self) -> Iterable["Metric"]:
        """Nothing fixed up front: which parts run depends on the settings."""
        return []

    def collect(self) -> Iterable["Metric"]:
        """One family per counter of the parts running in this process."""
        cloud = self.cloud()
        if cloud is None:
            return
        yield from _ingest(cloud)
        yield _counter("shedwatch_bus_published", "Domain events published on this process's bus", cloud.bus.published)
        failures = CounterMetricFamily("shedwatch_bus_subscriber_failures", "Bus handler errors", labels=["subscriber"])
        for name, n in sorted(cloud.bus.failures.items()):
            failures.add_metric([name], n)
        yield failures
        if cloud.follower is not None:
            yield _counter(
                "shedwatch_feed_follower_errors", "Failed polls of the store's event feed", cloud.follower.errors
            )
        yield from _alarms(cloud)
        hub = cloud.stream
        if hub is not None:
            yield _gauge("shedwatch_stream_clients", "Clients connected to GET /api/v1/stream", len(hub.clients))
            yield _counter("shedwatch_stream_connections", "Stream connections opened", hub.connected_total)
            yield _counter("shedwatch_stream_events", "Events put in the stream", hub.published)
            yield _counter(
                "shedwatch_stream_dropped_slow", "Stream clients dropped for falling behind", hub.dropped_slow
            )
            yield _counter("shedwatch_stream_resets", "Reconnects that could not resume (sent reset)", hub.resets)
            ended = CounterMetricFamily(
                "shedwatch_stream_ended_auth", "Streams ended for their credential, by reason", labels=["reason"]
            )
            for reason, n in hub.ended.items():
                ended.add_metric([reason], n)
            yield ended
        if cloud.stream_recheck is not None:
            errors = cloud.stream_recheck.errors
            yield _counter("shedwatch_stream_recheck_errors", "Failed reads of the accounts of open streams", errors)
        if cloud.alarm_feed is not None:
            errors = cloud.alarm_feed.errors
            yield _counter("shedwatch_stream_alarm_feed_errors", "Failed polls of the alarm tables", errors)
        if cloud.eta is not None:
            yield _counter("shedwatch_eta_errors", "Failed ETA refreshes (the last estimates kept)", cloud.eta.errors)


def _ingest(cloud: "CloudState") -> Iterable["Metric"]:
    worker = cloud.worker
    if worker is None:
        return
    s = worker.stats
    for name, doc, value in (
        ("received", "Messages received from the broker", s.received),
        ("stored", "Messages stored", s.stored),
        ("duplicates", "Messages already stored (dropped)", s.duplicates),
        ("batches", "Batches committed", s.batches),
        ("store_errors", "Batches the store refused (retried)", s.store_errors),
        ("lost", "Stream seqs given up after resend requests", s.lost),
    ):
        yield _counter(f"shedwatch_ingest_{name}", doc, value)
    rejects = CounterMetricFamily("shedwatch_ingest_rejected", "Messages rejected, by reason", labels=["reason"])
    for reason, n in sorted(s.rejects.items()):
        rejects.add_metric([str(reason)], n)
    yield rejects
    yield _gauge("shedwatch_ingest_connected", "1 while connected to the broker", float(s.connected))
    yield _gauge("shedwatch_ingest_subscribed", "1 while subscribed to the edges' topics", float(s.subscribed))


def _alarms(cloud: "CloudState") -> Iterable["Metric"]:
    runner = cloud.alarms
    if runner is None:
        return
    yield _gauge("shedwatch_alarm_leader", "1 while this process runs the alarm service", float(runner.leadership.held))
    yield _counter("shedwatch_alarm_loop_errors", "Alarm and notifier loop passes that failed", runner.errors)
    service = asdict(runner.service.stats)
    service.pop("chattering")
    for name, value in service.items():
        yield _counter(f"shedwatch_alarm_{name}", f"Alarm service: {name.replace('_', ' ')}", value)
    yield _gauge(
        "shedwatch_alarm_chattering", "Alarm keys suppressed as chattering", len(runner.service.stats.chattering)
    )
    for name, value in asdict(runner.notifier.stats).items():
        yield _counter(f"shedwatch_notifier_{name}", f"Notifier: {name.replace('_', ' ')}", value)
