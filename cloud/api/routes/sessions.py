"""Charging sessions: start by QR id, stop, list, read (docs/api.md, "Charging sessions").

Residents start and stop their own sessions; staff of the community read them (admin, operator) and stop them
(admin, operator, security). Every start and stop is audited, refusals included.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from cloud.api.principal import OK, REFUSED, AuditDep, PrincipalDep, require
from cloud.charging.api_models import SessionOut, StartSession, errors
from cloud.charging.deps import ChargingDep, home_community, logged_in
from cloud.charging.repo import ChargingRepo, SessionRow
from cloud.charging.service import ChargingRefused
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Role
from cloud.core.charging.model import Limit
from protocol.ids import SESSION_ID_PATTERN

router = APIRouter(tags=["charging"])
SessionIdPath = Annotated[str, Path(pattern=SESSION_ID_PATTERN)]


def _refusal(exc: ChargingRefused) -> HTTPException:
    return HTTPException(status_code=exc.status, detail={"code": exc.code, "message": exc.message})


def _load(charging: ChargingDep, session_id: str) -> SessionRow:
    store = charging.service.store
    with store.engine.connect() as conn:
        row = ChargingRepo(conn, sqlite=store.is_sqlite).session(session_id)
    if row is None:
        raise HTTPException(status_code=404, detail={"code": "unknown_session", "message": f"no session {session_id}"})
    return row


@router.post("/api/v1/sessions", status_code=201, responses=errors(400, 401, 402, 403, 404, 409, 422, 503))
def start_session(body: StartSession, principal: PrincipalDep, charging: ChargingDep, audit: AuditDep) -> SessionOut:
    """Start charging at the socket with this QR id (residents, their own community's sheds).

    The cloud checks the wallet, sends ``start_session`` to the edge and waits for its answer (up to
    ``charging_command_timeout_s``): the answer is the session as it then stands (``active``; ``requested`` when
    the edge has not answered yet; ``ended`` with ``refused`` when the edge refused). Refusals:
    404 ``unknown_qr``; 409 ``open_shed``, ``socket_busy``, ``socket_stopped``,
    ``socket_charging``/``_full``/``_faulted``, ``socket_unknown``, ``no_tariff``; 402 ``insufficient_balance``;
    503 ``edge_offline``, ``unreachable``.
    """
    principal = logged_in(principal)
    require(principal, Action.SESSION_START, Resource(home_community(principal), principal.user_id), target=body.qr)
    service = charging.service
    try:
        ref, community = service.locate(body.qr)
    except ChargingRefused as exc:
        audit(Action.SESSION_START.value, body.qr, REFUSED, exc.code)
        raise _refusal(exc) from None
    require(principal, Action.SESSION_START, Resource(community, principal.user_id), target=body.qr)
    if body.limit_wh is not None:
        limit = Limit(max_wh=body.limit_wh)
    else:
        limit = Limit(max_s=body.limit_s or service.options.policy.max_session_s)
    try:
        row = service.start(user_id=principal.user_id, qr=body.qr, ref=ref, community=community, limit=limit)
    except ChargingRefused as exc:
        audit(Action.SESSION_START.value, body.qr, REFUSED, exc.code, community=community)
        raise _refusal(exc) from None
    audit(
        Action.SESSION_START.value,
        row.session.session_id,
        OK,
        f"{body.qr} {row.session.status.value}",
        community=community,
    )
    return SessionOut.of(row)


@router.post("/api/v1/sessions/{session_id}/stop", responses=errors(401, 403, 404, 422, 503))
def stop_session(
    session_id: SessionIdPath, principal: PrincipalDep, charging: ChargingDep, audit: AuditDep
) -> SessionOut:
    """Stop a session: the resident's own, or staff of its community (admin, operator, security).

    Idempotent: an ended session is answered as it is. The edge ends it (``session_ended`` with the final
    energy); when the edge cannot be told, the cloud ends it itself and sends the cut again.
    """
    principal = logged_in(principal)
    row = _load(charging, session_id)
    s = row.session
    require(principal, Action.SESSION_STOP, Resource(s.community, s.user_id), target=session_id)
    by_staff = principal.role is not Role.RESIDENT
    stopped = charging.service.stop(session_id, by_staff=by_staff, actor=principal.user_id)
    audit(Action.SESSION_STOP.value, session_id, OK, stopped.session.status.value, community=s.community)
    return SessionOut.of(stopped)


@router.get("/api/v1/sessions", responses=errors(401, 403, 422, 503))
def list_sessions(
    principal: PrincipalDep,
    charging: ChargingDep,
    mine: bool = False,
    community: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")] = None,
    status: Annotated[str | None, Query(pattern="^(requested|active|ended)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SessionOut]:
    """Sessions newest first. A resident always gets their own (``mine`` is implied); staff (admin, operator)
    get their communities' (``community`` narrows to one), or with ``mine`` their own."""
    principal = logged_in(principal)
    store = charging.service.store
    if mine or principal.role is Role.RESIDENT:
        require(principal, Action.SESSION_READ, Resource(home_community(principal), principal.user_id))
        with store.engine.connect() as conn:
            rows = ChargingRepo(conn, sqlite=store.is_sqlite).sessions(
                user_id=principal.user_id, status=status, limit=limit
            )
        return [SessionOut.of(r) for r in rows]
    if community is not None:
        require(principal, Action.SESSION_READ, Resource(community))
        communities: list[str] | None = [community]
    elif principal.everywhere:
        require(principal, Action.SESSION_READ, Resource())
        communities = None
    else:
        for c in sorted(principal.communities):
            require(principal, Action.SESSION_READ, Resource(c))
        communities = sorted(principal.communities)
    with store.engine.connect() as conn:
        rows = ChargingRepo(conn, sqlite=store.is_sqlite).sessions(communities=communities, status=status, limit=limit)
    return [SessionOut.of(r) for r in rows]


@router.get("/api/v1/sessions/{session_id}", responses=errors(401, 403, 404, 422, 503))
def get_session(session_id: SessionIdPath, principal: PrincipalDep, charging: ChargingDep) -> SessionOut:
    """One session: the resident's own, or any of the community for admin and operator."""
    principal = logged_in(principal)
    row = _load(charging, session_id)
    require(principal, Action.SESSION_READ, Resource(row.session.community, row.session.user_id), target=session_id)
    return SessionOut.of(row)
