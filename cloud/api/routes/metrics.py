"""GET /metrics: the Prometheus text exposition of this process (cloud.api.metrics)."""

from fastapi import APIRouter, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cloud.api.deps import CloudDep
from cloud.api.responses import errors

router = APIRouter()


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {}}},
        **errors(e503="metrics are not collected in this process"),
    },
)
def metrics(cloud: CloudDep) -> Response:
    """Counters, gauges and histograms of ingest, the bus, alarms, the notifier, the API and the stream."""
    if cloud.metrics is None:
        raise HTTPException(status_code=503, detail="metrics are not collected in this process")
    return Response(generate_latest(cloud.metrics.registry), media_type=CONTENT_TYPE_LATEST)
