"""The ingest writer takes an alarm event (or command result) ahead of the telemetry queued before it."""

from typing import Any

from cloud.core.batch import RawMessage
from cloud.core.registry import Registry
from cloud.ingest.worker import IngestWorker, WorkerOptions
from protocol.brokerurl import BrokerUrl
from protocol.clock import SystemClock
from protocol.topics import Kind, shed_topic


def _worker() -> IngestWorker:
    options = WorkerOptions(broker=BrokerUrl.parse("mqtt://127.0.0.1:1"), client_id="t", batch_delay_s=0.01)
    store: Any = None  # _take never touches the stores
    return IngestWorker(options, telemetry=store, state=store, registry=Registry(), clock=SystemClock())


def _queue(worker: IngestWorker, kind: Kind, mid: int) -> None:
    raw = RawMessage(shed_topic(kind, "shed-a"), b"x" * 10, 0)
    worker._queue.append((worker._generation, mid, 1, raw))
    worker._queued_bytes += len(raw.payload)
    if kind is not Kind.EDGE_TELEMETRY:
        worker._urgent = True


def test_events_are_taken_first_and_the_rest_follows_in_order() -> None:
    worker = _worker()
    for mid, kind in enumerate(
        [Kind.EDGE_TELEMETRY, Kind.EDGE_EVENT, Kind.EDGE_TELEMETRY, Kind.EDGE_STATE, Kind.EDGE_TELEMETRY]
    ):
        _queue(worker, kind, mid)
    assert [mid for _, mid, _, _ in worker._take()] == [1]
    assert worker._urgent  # the state is still queued
    # a state keeps its place behind the telemetry before it: its announced seq sets where a stream starts
    assert [mid for _, mid, _, _ in worker._take()] == [0, 2, 3, 4]  # nothing lost, order kept
    assert not worker._urgent
    assert worker._queued_bytes == 0
    assert not worker._queue


def test_more_urgent_messages_than_a_batch_stay_urgent() -> None:
    worker = _worker()
    worker.options = WorkerOptions(broker=worker.options.broker, client_id="t", batch_max=2, batch_delay_s=0.01)
    for mid in range(3):
        _queue(worker, Kind.EDGE_EVENT, mid)
    assert [mid for _, mid, _, _ in worker._take()] == [0, 1]
    assert worker._urgent
    assert [mid for _, mid, _, _ in worker._take()] == [2]
