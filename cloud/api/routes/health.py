"""GET /healthz."""

from fastapi import APIRouter

from cloud.api.deps import CloudDep

router = APIRouter()


@router.get("/healthz")
def healthz(cloud: CloudDep) -> dict[str, object]:
    """Liveness, with the ingest counters when ingest runs in this process."""
    worker = cloud.worker
    return {"status": "ok", "ingest": worker.stats.as_dict() if worker is not None else None}
