"""The API's routes, one module per resource; ``api_router`` includes them all."""

from fastapi import APIRouter

from cloud.api.routes import (
    availability,
    cameras,
    dead_letters,
    health,
    history,
    metrics,
    pages,
    ready,
    sockets,
    stream,
)

api_router = APIRouter()
for module in (availability, sockets, cameras, history, dead_letters, health, pages, stream, metrics, ready):
    api_router.include_router(module.router)
