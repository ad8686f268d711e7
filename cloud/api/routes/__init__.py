"""The API's routes, one module per resource; ``api_router`` includes them all."""

from fastapi import APIRouter

from cloud.api.routes import (
    availability,
    cameras,
    dead_letters,
    health,
    history,
    notifications,
    pages,
    qr_codes,
    sessions,
    sockets,
    tariffs,
    wallet,
)

api_router = APIRouter()
for module in (availability, sockets, cameras, history, dead_letters, health, pages):
    api_router.include_router(module.router)
for module in (sessions, wallet, tariffs, notifications, qr_codes):  # charging
    api_router.include_router(module.router)
