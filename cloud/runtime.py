"""Open the stores and build an ingest worker from settings (shared by the API and `cloud ingest`)."""

import hashlib
import socket
from collections.abc import Callable
from dataclasses import dataclass

from cloud.ingest.batch import Batch
from cloud.ingest.worker import IngestWorker, WorkerOptions
from cloud.settings import CloudSettings
from cloud.state.store import StateStore, load_shed_config
from cloud.telemetry.base import TelemetryStore
from cloud.telemetry.factory import open_telemetry
from protocol.brokerurl import BrokerUrl
from protocol.clock import Clock


@dataclass
class Stores:
    """The open stores of one process."""

    state: StateStore
    telemetry: TelemetryStore

    def close(self) -> None:
        """Close both."""
        self.telemetry.close()
        self.state.close()


def open_stores(settings: CloudSettings) -> Stores:
    """Migrate the state store, register shed configs, open the telemetry store."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    state = StateStore(settings.state_store_url())
    state.migrate()
    for path in settings.shed_configs:
        state.register_shed(load_shed_config(path))
    return Stores(state, open_telemetry(settings))


def default_client_id(settings: CloudSettings, worker: str) -> str:
    """Stable across restarts of the same worker, distinct between hosts and data dirs."""
    if settings.client_id:
        return settings.client_id
    digest = hashlib.sha1(str(settings.data_dir.resolve()).encode()).hexdigest()[:8]
    return f"sw-ingest-{socket.gethostname()[:20]}-{digest}-{worker}"


def make_worker(
    settings: CloudSettings,
    stores: Stores,
    clock: Clock,
    *,
    worker: str = "api",
    on_commit: Callable[[Batch], None] | None = None,
) -> IngestWorker:
    """An ingest worker over the given stores."""
    options = WorkerOptions(
        broker=BrokerUrl.parse(settings.broker),
        client_id=default_client_id(settings, worker),
        share_group=settings.share_group,
        session_expiry_s=settings.session_expiry_s,
        batch_max=settings.batch_max,
        batch_delay_s=settings.batch_delay_s,
        delivery_acks=settings.delivery_acks,
    )
    return IngestWorker(
        options,
        telemetry=stores.telemetry,
        state=stores.state,
        registry=stores.state.registry(strict=settings.strict_registry),
        clock=clock,
        on_commit=on_commit,
    )
