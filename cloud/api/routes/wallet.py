"""Wallets: a resident's balance and ledger; staff credits (docs/api.md, "Wallet").

Balances are whole fen; there is no payment gateway: staff (admin, operator of the community) credit a wallet,
and each session's cost is debited once when it ends. Every credit is audited, refusals included.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from cloud.api.deps import CloudDep
from cloud.api.principal import OK, REFUSED, AuditDep, PrincipalDep, require
from cloud.charging.api_models import CreditIn, WalletOut, errors
from cloud.charging.deps import home_community, logged_in
from cloud.charging.repo import ChargingRepo
from cloud.charging.runtime import options_from
from cloud.core.access.authorize import Resource
from cloud.core.access.permissions import Action
from cloud.core.charging.wallet import WalletError, credit
from protocol.ids import ID_PATTERN

router = APIRouter(tags=["charging"])
UserPath = Annotated[str, Path(pattern=ID_PATTERN)]


def _wallet(cloud: CloudDep, user_id: str) -> WalletOut:
    store = cloud.stores.state
    with store.engine.connect() as conn:
        repo = ChargingRepo(conn, sqlite=store.is_sqlite)
        return WalletOut.of(user_id, repo.wallet(user_id), repo.ledger(user_id))


@router.get("/api/v1/wallet", responses=errors(401, 403))
def own_wallet(principal: PrincipalDep, cloud: CloudDep) -> WalletOut:
    """The caller's own wallet (residents): balance, unpaid amounts and the newest 50 ledger lines."""
    principal = logged_in(principal)
    require(principal, Action.WALLET_READ, Resource(home_community(principal), principal.user_id))
    return _wallet(cloud, principal.user_id)


@router.get("/api/v1/residents/{user_id}/wallet", responses=errors(401, 403, 404, 422))
def resident_wallet(user_id: UserPath, principal: PrincipalDep, cloud: CloudDep) -> WalletOut:
    """A resident's wallet for staff of its community (admin, operator); 404 when never credited."""
    principal = logged_in(principal)
    out = _wallet(cloud, user_id)
    if out.community is None:
        require(principal, Action.WALLET_READ, Resource(home_community(principal)), target=user_id)
        raise HTTPException(status_code=404, detail=f"{user_id} has no wallet yet")
    require(principal, Action.WALLET_READ, Resource(out.community, user_id), target=user_id)
    return out


@router.post("/api/v1/residents/{user_id}/wallet/credits", status_code=201, responses=errors(400, 401, 403, 422))
def credit_wallet(
    user_id: UserPath, body: CreditIn, principal: PrincipalDep, cloud: CloudDep, audit: AuditDep
) -> WalletOut:
    """Credit a resident's wallet (admin, operator of its community): 1 fen up to ``max_credit_fen`` (100,000 fen
    by default, against a typed extra zero: 422). A first credit names the resident's ``community`` (422 when
    missing); later credits must match the wallet's community (422)."""
    principal = logged_in(principal)
    store = cloud.stores.state
    now = cloud.clock.now_ms()
    policy = options_from(cloud.settings).policy
    refused: str | None = None
    with store.engine.begin() as conn:  # no audit row inside: SQLite holds its write lock until the commit
        repo = ChargingRepo(conn, sqlite=store.is_sqlite)
        wallet = repo.wallet(user_id, lock=True)
        community = wallet.community if wallet else body.community
        if community is None:
            raise HTTPException(status_code=422, detail="a first credit needs the resident's community")
        if wallet is not None and body.community is not None and body.community != wallet.community:
            raise HTTPException(status_code=422, detail=f"the wallet belongs to community {wallet.community}")
        require(principal, Action.WALLET_CREDIT, Resource(community), target=user_id)
        try:
            balance = credit(wallet.balance_fen if wallet else 0, body.amount_fen, policy)
        except WalletError as exc:
            refused = str(exc)
        else:
            repo.credit(
                user_id, community, balance, body.amount_fen, ts_ms=now, actor=principal.user_id[:64], note=body.note
            )
    if refused is not None:
        audit(Action.WALLET_CREDIT.value, user_id, REFUSED, refused, community=community)
        raise HTTPException(status_code=422, detail=refused)
    audit(Action.WALLET_CREDIT.value, user_id, OK, f"+{body.amount_fen} fen -> {balance} fen", community=community)
    return _wallet(cloud, user_id)
