"""A community's charging tariff: public read, admin write (docs/api.md, "Tariffs").

Every save is a new version; a session keeps the version it started under. Saves are audited.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import select

from cloud.api.deps import CloudDep
from cloud.api.principal import OK, REFUSED, AuditDep, PrincipalDep, require
from cloud.charging.api_models import TariffOut, errors
from cloud.charging.deps import logged_in
from cloud.charging.repo import ChargingRepo
from cloud.charging.tariff_spec import TariffSpec
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.core.tariff.model import TariffError
from cloud.state.charging_schema import tariffs

router = APIRouter(tags=["charging"])
CommunityPath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]


def _newest(cloud: CloudDep, community: str) -> TariffOut | None:
    store = cloud.stores.state
    with store.engine.connect() as conn:
        found = ChargingRepo(conn, sqlite=store.is_sqlite).latest_tariff(community)
        if found is None:
            return None
        version, tariff = found
        row = conn.execute(
            select(tariffs.c.actor, tariffs.c.created_ms).where(
                tariffs.c.community == community, tariffs.c.version == version
            )
        ).one()
    spec = TariffSpec.of(tariff)
    return TariffOut(
        **spec.model_dump(), community=community, version=version, actor=row.actor, created_ms=int(row.created_ms)
    )


@router.get("/api/v1/communities/{community}/tariff", responses=errors(404, 422))
def get_tariff(community: CommunityPath, cloud: CloudDep) -> TariffOut:
    """The community's newest tariff, readable without login (prices are posted at every socket); 404 when none."""
    out = _newest(cloud, community)
    if out is None:
        raise HTTPException(status_code=404, detail=f"community {community} has no tariff")
    return out


@router.put("/api/v1/communities/{community}/tariff", responses=errors(400, 401, 403, 422))
def put_tariff(
    community: CommunityPath, body: TariffSpec, principal: PrincipalDep, cloud: CloudDep, audit: AuditDep
) -> TariffOut:
    """Save a new tariff version (admins of the community); 422 with the reason when it cannot bill correctly
    (a period without a price, bands out of order, a cheaper higher power band, an unknown time zone, ...)."""
    principal = logged_in(principal)
    require(principal, Action.CONFIG_TARIFF, Resource(community), target=community)
    try:
        body.to_tariff(community)
    except TariffError as exc:
        audit(Action.CONFIG_TARIFF.value, community, REFUSED, str(exc), community=community)
        raise HTTPException(status_code=422, detail=str(exc)) from None
    store = cloud.stores.state
    with store.engine.begin() as conn:
        version = ChargingRepo(conn, sqlite=store.is_sqlite).save_tariff(
            community, body, actor=principal.user_id[:64], now_ms=cloud.clock.now_ms()
        )
    audit(Action.CONFIG_TARIFF.value, community, OK, f"version {version}", community=community)
    out = _newest(cloud, community)
    assert out is not None
    return out
