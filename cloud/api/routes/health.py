"""GET /healthz."""

from fastapi import APIRouter

from cloud.api.deps import CloudDep

router = APIRouter()


@router.get("/healthz")
def healthz(cloud: CloudDep) -> dict[str, object]:
    """Liveness; the ingest counters and delivery state when ingest runs in this process; the bus: events
    published here, handler failures per subscriber, and (ingest elsewhere) the feed follower's failed polls."""
    worker = cloud.worker
    return {
        "status": "ok",
        "ingest": worker.stats.as_dict() if worker is not None else None,
        # per shed: stored-through seq, seqs missing and given up as lost, the edge's reject counts
        "delivery": worker.delivery.snapshot() if worker is not None else None,
        "bus": {
            "published": cloud.bus.published,
            "subscriber_failures": dict(cloud.bus.failures),
            "follower_errors": cloud.follower.errors if cloud.follower is not None else None,
        },
    }
