"""A shed's socket QR ids: read (inventory readers) and import (admin, installer) (docs/api.md, "QR ids").

A socket's QR id is ``{shed}-{device}-{socket}`` unless an import names another (e.g. the id printed on a
post bought with its own stickers). The import replaces the shed's imported ids and is audited.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy.exc import IntegrityError

from cloud.api.deps import CloudDep
from cloud.api.principal import OK, AuditDep, PrincipalDep, require
from cloud.charging.api_models import QrCode, QrCodes, errors
from cloud.charging.deps import logged_in
from cloud.charging.repo import ChargingRepo
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.core.charging.model import SocketRef
from cloud.state.schema import posts
from protocol.ids import ID_PATTERN

router = APIRouter(tags=["charging"])
ShedPath = Annotated[str, Path(pattern=ID_PATTERN)]


def _sockets(cloud: CloudDep, shed: str) -> list[SocketRef]:
    store = cloud.stores.state
    with store.engine.connect() as conn:
        rows = conn.execute(posts.select().where(posts.c.shed == shed).order_by(posts.c.post)).all()
    return [SocketRef(shed, r.post, n) for r in rows for n in range(1, int(r.sockets) + 1)]


@router.get("/api/v1/sheds/{shed}/qr-codes", responses=errors(401, 403, 404, 422))
def get_qr_codes(shed: ShedPath, principal: PrincipalDep, cloud: CloudDep) -> QrCodes:
    """Every socket of the shed with its QR id (staff who read the inventory); 404 for a shed with no posts."""
    principal = logged_in(principal)
    community = cloud.stores.state.communities().get(shed)
    require(principal, Action.INVENTORY_READ, Resource(community), target=shed)
    sockets = _sockets(cloud, shed)
    if not sockets:
        raise HTTPException(status_code=404, detail=f"shed {shed} has no posts in the inventory")
    store = cloud.stores.state
    with store.engine.connect() as conn:
        repo = ChargingRepo(conn, sqlite=store.is_sqlite)
        return QrCodes(codes=[QrCode(qr=repo.qr_of(r), device=r.device, socket=r.socket) for r in sockets])


@router.put("/api/v1/sheds/{shed}/qr-codes", responses=errors(400, 401, 403, 404, 422))
def put_qr_codes(shed: ShedPath, body: QrCodes, principal: PrincipalDep, cloud: CloudDep, audit: AuditDep) -> QrCodes:
    """Import the shed's QR ids (admin, installer): 404 for a shed with no posts; 422 for a socket the inventory
    does not have, a socket named twice, or an id another socket already uses."""
    principal = logged_in(principal)
    community = cloud.stores.state.communities().get(shed)
    require(principal, Action.CONFIG_INVENTORY, Resource(community), target=shed)
    known = set(_sockets(cloud, shed))
    if not known:
        raise HTTPException(status_code=404, detail=f"shed {shed} has no posts in the inventory")
    refs = [(c.qr, SocketRef(shed, c.device, c.socket)) for c in body.codes]
    unknown = [f"{r.device}/{r.socket}" for _, r in refs if r not in known]
    if unknown:
        raise HTTPException(status_code=422, detail=f"no such sockets in {shed}: {', '.join(unknown[:10])}")
    if len({r for _, r in refs}) != len(refs) or len({q for q, _ in refs}) != len(refs):
        raise HTTPException(status_code=422, detail="each socket and each QR id may appear once")
    store = cloud.stores.state
    try:
        with store.engine.begin() as conn:
            count = ChargingRepo(conn, sqlite=store.is_sqlite).set_qr(shed, refs)
    except IntegrityError:
        raise HTTPException(status_code=422, detail="a QR id is already used by another shed's socket") from None
    audit(Action.CONFIG_INVENTORY.value, shed, OK, f"{count} QR ids imported", community=community)
    return get_qr_codes(shed, principal, cloud)
