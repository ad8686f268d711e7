"""Wallets: a resident's balance and ledger; staff credits (docs/api.md, "Wallet").

Balances are whole fen; there is no payment gateway: staff (admin, operator of the community) credit a wallet,
and each session's cost is debited once when it ends. Every credit is audited, refusals included. A resident is
named by account id or user name; only an existing resident of the credit's community is credited.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel
from sqlalchemy import Connection

from cloud.api.deps import CloudDep
from cloud.api.principal import OK, REFUSED, AuditDep, PrincipalDep, require
from cloud.auth.accounts import User, normalize_username
from cloud.auth.errors import AccountError
from cloud.charging.api_models import CreditIn, WalletOut, errors
from cloud.charging.deps import home_community, logged_in
from cloud.charging.repo import ChargingRepo
from cloud.charging.runtime import options_from
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Role
from cloud.core.charging.wallet import WalletError, credit
from cloud.state import account_rows
from protocol.ids import ID_PATTERN

router = APIRouter(tags=["charging"])
UserPath = Annotated[str, Path(pattern=ID_PATTERN)]


RESIDENTS_MAX = 50  # the most residents one look-up answers


class ResidentOut(BaseModel):
    """A resident as a look-up shows it to staff: the ``id`` the wallet routes take, and how to recognise them."""

    id: str
    username: str
    display_name: str
    communities: list[str]


def _account(conn: Connection, user: str) -> User | None:
    """The account ``user`` names: its id, else its user name (any case)."""
    found = account_rows.by_id(conn, user)
    if found is not None:
        return found
    try:
        return account_rows.by_username(conn, normalize_username(user))
    except AccountError:
        return None


def _resident_of(account: User | None, community: str) -> User | None:
    """The account when it is a resident of ``community``."""
    if account is None or account.role is not Role.RESIDENT or community not in account.communities:
        return None
    return account


def _wallet(cloud: CloudDep, user_id: str) -> WalletOut:
    store = cloud.stores.state
    with store.engine.connect() as conn:
        repo = ChargingRepo(conn, sqlite=store.is_sqlite)
        return WalletOut.of(user_id, repo.wallet(user_id), repo.ledger(user_id))


@router.get("/api/v1/wallet", responses=errors(401, 403))
def own_wallet(principal: PrincipalDep, cloud: CloudDep) -> WalletOut:
    """The caller's own wallet (residents): balance, unpaid amounts and the newest 50 ledger lines; 403 for staff,
    who have no wallet."""
    principal = logged_in(principal)
    if principal.role is not Role.RESIDENT:
        raise HTTPException(status_code=403, detail="only residents have a wallet")
    require(principal, Action.WALLET_READ, Resource(home_community(principal), principal.user_id))
    return _wallet(cloud, principal.user_id)


@router.get("/api/v1/residents/{user_id}/wallet", responses=errors(401, 403, 404, 422))
def resident_wallet(user_id: UserPath, principal: PrincipalDep, cloud: CloudDep) -> WalletOut:
    """A resident's wallet (account id or user name) for staff of its community (admin, operator); 404 when never
    credited."""
    principal = logged_in(principal)
    with cloud.stores.state.engine.connect() as conn:
        account = _account(conn, user_id)
    out = _wallet(cloud, account.id if account is not None else user_id)
    if out.community is None:
        require(principal, Action.WALLET_READ, Resource(home_community(principal)), target=user_id)
        raise HTTPException(status_code=404, detail=f"{user_id} has no wallet yet")
    require(principal, Action.WALLET_READ, Resource(out.community, user_id), target=user_id)
    return out


@router.get("/api/v1/residents", responses=errors(401, 403, 422))
def find_residents(
    principal: PrincipalDep,
    cloud: CloudDep,
    community: Annotated[str, Query(pattern=ID_PATTERN)],
    q: Annotated[str, Query(max_length=100)] = "",
) -> list[ResidentOut]:
    """Residents of ``community`` (admin, operator of it: ``resident.read``) whose user name or display name
    contains ``q`` (any case; empty: all), by user name, at most 50: how staff find the id a wallet route takes."""
    principal = logged_in(principal)
    require(principal, Action.RESIDENT_READ, Resource(community))
    store = cloud.stores.state
    with store.engine.connect() as conn:
        listed = account_rows.listed(conn, communities=[community])
    needle = q.strip().casefold()
    found = [
        u
        for u in listed
        if u.role is Role.RESIDENT and (needle in u.username.casefold() or needle in u.display_name.casefold())
    ]
    return [
        ResidentOut(id=u.id, username=u.username, display_name=u.display_name, communities=sorted(u.communities))
        for u in found[:RESIDENTS_MAX]
    ]


@router.post("/api/v1/residents/{user_id}/wallet/credits", status_code=201, responses=errors(400, 401, 403, 404, 422))
def credit_wallet(
    user_id: UserPath, body: CreditIn, principal: PrincipalDep, cloud: CloudDep, audit: AuditDep
) -> WalletOut:
    """Credit a resident's wallet (admin, operator of its community): 1 fen up to ``max_credit_fen`` (100,000 fen
    by default, against a typed extra zero: 422). ``user_id``: the resident's account id or user name. A first
    credit names the resident's ``community`` (422 when missing); later credits must match the wallet's community
    (422). 403 when the community is not one of the caller's; 404 when no resident of that community has this id
    or user name (unknown, staff, or a resident of another community)."""
    principal = logged_in(principal)
    store = cloud.stores.state
    now = cloud.clock.now_ms()
    policy = options_from(cloud.settings).policy
    refused: str | None = None
    status = 422  # a refused credit: the amount (422) or the resident (404)
    with store.engine.begin() as conn:  # no audit row inside: SQLite holds its write lock until the commit
        repo = ChargingRepo(conn, sqlite=store.is_sqlite)
        account = _account(conn, user_id)
        if account is not None:
            user_id = account.id
        wallet = repo.wallet(user_id, lock=True)
        community = wallet.community if wallet else body.community
        if community is None:
            raise HTTPException(status_code=422, detail="a first credit needs the resident's community")
        if wallet is not None and body.community is not None and body.community != wallet.community:
            raise HTTPException(status_code=422, detail=f"the wallet belongs to community {wallet.community}")
        require(principal, Action.WALLET_CREDIT, Resource(community), target=user_id)
        if _resident_of(account, community) is None:
            refused, status = f"no resident {user_id} in community {community}", 404
        else:
            try:
                balance = credit(wallet.balance_fen if wallet else 0, body.amount_fen, policy)
            except WalletError as exc:
                refused, status = str(exc), 422
            else:
                repo.credit(
                    user_id,
                    community,
                    balance,
                    body.amount_fen,
                    ts_ms=now,
                    actor=principal.user_id[:64],
                    note=body.note,
                )
    if refused is not None:
        audit(Action.WALLET_CREDIT.value, user_id, REFUSED, refused, community=community)
        raise HTTPException(status_code=status, detail=refused)
    audit(Action.WALLET_CREDIT.value, user_id, OK, f"+{body.amount_fen} fen -> {balance} fen", community=community)
    return _wallet(cloud, user_id)
