"""The API's routes, one module per resource; ``api_router`` includes them all."""

from fastapi import APIRouter

from cloud.api.routes import availability, cameras, dead_letters, health, history, pages, sockets

api_router = APIRouter()
for module in (availability, sockets, cameras, history, dead_letters, health, pages):
    api_router.include_router(module.router)

from cloud.api.routes import audit, auth, communities, users  # noqa: E402  (accounts: issue 12)

for module in (auth, users, communities, audit):
    api_router.include_router(module.router)
