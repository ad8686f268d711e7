"""The API's routes, one module per resource; ``ROUTERS`` lists their routers in the order the app includes them.

Each is included into the app itself, not through one router that includes them all: this FastAPI walks every
router below an included one to check for changes on each request it routes through it (about 60 walks per
request with the extra level)."""

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

# The busiest reads first: FastAPI tries the included routers in order, and each router passed costs (about 3 us
# each, 120 us per request for the staff's shed view when it came 17th). No two paths overlap, so the order
# changes no answer.
ROUTERS: tuple[APIRouter, ...] = (
    *(m.router for m in (availability, sheds, sockets, cameras, history, dead_letters, health, pages, stream)),
    *(m.router for m in (metrics, ready)),
    api_docs.router,  # /docs without a CDN
    # Accounts: login, /me, users, communities, the audit log (docs/accounts.md).
    *(m.router for m in (auth, users, communities, audit)),
    # The staff API (docs/api.md, "Staff"); sheds is above.
    *(m.router for m in (staff_history, alarms, incidents, inspections, commands, config)),
    # Charging: sessions, wallets, tariffs, resident notifications, QR ids (docs/api.md, "Charging").
    *(m.router for m in (sessions, wallet, tariffs, notifications, qr_codes)),
)
# The demo's drill (routes/demo.py) is not here: create_app adds it only for `shedwatch demo`'s cloud.
