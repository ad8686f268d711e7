"""Open the stores and build an ingest worker from settings (shared by the API and `cloud ingest`)."""

import hashlib
import socket
from collections.abc import Callable
from dataclasses import dataclass

from cloud.bus.publish import Committed
from cloud.core.batch import Batch
from cloud.ingest.worker import IngestWorker, WorkerOptions
from cloud.settings import CloudSettings
from cloud.state.store import StateStore
from cloud.telemetry.base import TelemetryStore
from cloud.telemetry.factory import open_telemetry
from protocol.brokerurl import BrokerUrl
from protocol.clock import Clock, clock_from_spec
from protocol.shedfile import load_shed_file


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
    """Migrate the state store, import the shed files named in settings into the inventory, open telemetry."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    state = StateStore(settings.state_store_url())
    state.migrate()
    now_ms = clock_from_spec(settings.clock).now_ms()
    for path in settings.shed_configs:
        # The same path as `shedwatch cloud inventory import`: only the [shed] table is read.
        parsed = load_shed_file(path)
        state.import_inventory(parsed.shed, actor="settings", now_ms=now_ms, cameras=parsed.cameras)
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
    committed: Committed | None = None,
    heard: Callable[[Batch], None] | None = None,
) -> IngestWorker:
    """An ingest worker over the given stores."""
    options = WorkerOptions(
        broker=BrokerUrl.parse(settings.broker),
        client_id=default_client_id(settings, worker),
        share_group=settings.share_group,
        session_expiry_s=settings.session_expiry_s,
        batch_max=settings.batch_max,
        batch_delay_s=settings.batch_delay_s,
        ca_file=settings.tls_ca_file,
        delivery_acks=settings.delivery_acks,
    )
    return IngestWorker(
        options,
        telemetry=stores.telemetry,
        state=stores.state,
        registry=stores.state.registry(strict=settings.strict_registry),
        clock=clock,
        committed=committed,
        heard=heard,
    )
