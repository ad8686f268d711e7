"""The API's routes, one module per resource; ``api_router`` includes them all."""

from fastapi import APIRouter

from cloud.api.routes import (
    alarms,
    availability,
    cameras,
    commands,
    config,
    dead_letters,
    health,
    history,
    incidents,
    inspections,
    notifications,
    pages,
    qr_codes,
    sessions,
    sheds,
    sockets,
    staff_history,
    tariffs,
    wallet,
)

api_router = APIRouter()
for module in (availability, sockets, cameras, history, dead_letters, health, pages):
    api_router.include_router(module.router)
# The staff API (docs/api.md, "Staff").
for module in (sheds, staff_history, alarms, incidents, inspections, commands, config):
    api_router.include_router(module.router)
# Charging: sessions, wallets, tariffs, resident notifications, QR ids (docs/api.md, "Charging").
for module in (sessions, wallet, tariffs, notifications, qr_codes):
    api_router.include_router(module.router)
