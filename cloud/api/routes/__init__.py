"""The API's routes, one module per resource; ``api_router`` includes them all."""

from fastapi import APIRouter

from cloud.api.routes import (
    alarms,
    api_docs,
    audit,
    auth,
    availability,
    cameras,
    commands,
    communities,
    config,
    dead_letters,
    health,
    history,
    incidents,
    inspections,
    metrics,
    notifications,
    pages,
    qr_codes,
    ready,
    sessions,
    sheds,
    sockets,
    staff_history,
    stream,
    tariffs,
    users,
    wallet,
)

api_router = APIRouter()
# The busiest reads first: FastAPI tries the included routers in order, and each router passed costs (about 3 us
# each, 120 us per request for the staff's shed view when it came 17th). No two paths overlap, so the order
# changes no answer.
for module in (availability, sheds, sockets, cameras, history, dead_letters, health, pages, stream, metrics, ready):
    api_router.include_router(module.router)
api_router.include_router(api_docs.router)  # /docs without a CDN
# Accounts: login, /me, users, communities, the audit log (docs/accounts.md).
for module in (auth, users, communities, audit):
    api_router.include_router(module.router)
# The staff API (docs/api.md, "Staff").
for module in (staff_history, alarms, incidents, inspections, commands, config):  # and sheds, above
    api_router.include_router(module.router)
# Charging: sessions, wallets, tariffs, resident notifications, QR ids (docs/api.md, "Charging").
for module in (sessions, wallet, tariffs, notifications, qr_codes):
    api_router.include_router(module.router)
