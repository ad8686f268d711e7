"""Communities: staff list theirs; a deployment-wide admin creates new ones (docs/accounts.md, "Accounts API")."""

from fastapi import APIRouter, HTTPException

from cloud.api.account_models import CommunityOut, NewCommunityIn
from cloud.api.auth_deps import AuthKitDep
from cloud.api.principal import FAILED, OK, AuditDep, PrincipalDep, require, scope
from cloud.api.responses import errors
from cloud.auth.errors import AccountConflict, AccountError
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action

router = APIRouter(prefix="/api/v1", tags=["communities"])


@router.get("/communities", response_model=list[CommunityOut], responses=errors(403))
def list_communities(principal: PrincipalDep, kit: AuthKitDep) -> list[CommunityOut]:
    """The caller's communities that exist (every one for a deployment-wide admin), by id; staff only."""
    communities = scope(principal, Action.INVENTORY_READ)
    return [CommunityOut(community=c, name=n) for c, n in kit.directory.communities(communities).items()]


@router.post(
    "/communities",
    response_model=CommunityOut,
    status_code=201,
    responses=errors(403, e409="the community exists", e422="a bad id, or the body its schema"),
)
def create_community(body: NewCommunityIn, principal: PrincipalDep, kit: AuthKitDep, audit: AuditDep) -> CommunityOut:
    """A new community (deployment-wide admins only): 409 when the id exists, 422 for a bad id."""
    target = f"community:{body.community}"
    require(principal, Action.CONFIG_COMMUNITY, Resource(community=None), target=target)
    try:
        kit.directory.create_community(body.community, body.name)
    except AccountConflict as exc:
        audit(Action.CONFIG_COMMUNITY, target, FAILED, str(exc))
        raise HTTPException(409, str(exc)) from None
    except AccountError as exc:
        audit(Action.CONFIG_COMMUNITY, target, FAILED, str(exc))
        raise HTTPException(422, str(exc)) from None
    name = body.name.strip() or body.community
    audit(Action.CONFIG_COMMUNITY, target, OK, f"created {name!r}", community=body.community)
    return CommunityOut(community=body.community, name=name)
