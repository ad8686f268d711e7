"""Wallet rules: what a balance can start, what a finished session debits, what staff may credit.

Balances are whole fen (0.01 yuan). A session's limit is capped so that even at the tariff's highest
price it cannot cost more than the balance; the debit happens once, at the end, rounded half-up to the
fen. A balance never goes below zero: an overshoot (the edge stops within one meter sample of the
limit) is recorded as unpaid for staff to see, not taken.
"""

import math
from dataclasses import dataclass

from cloud.core.charging.model import Limit
from cloud.core.charging.policy import SessionPolicy
from cloud.core.tariff.cost import to_fen
from cloud.core.tariff.model import Billing, Tariff


class WalletError(ValueError):
    """A credit or debit the rules refuse; the message says why."""


@dataclass(frozen=True, slots=True)
class Settlement:
    """The end of a session for the wallet: fen charged, fen left unpaid, the new balance."""

    charged_fen: int
    unpaid_fen: int
    balance_fen: int


def affordable_limit(limit: Limit, balance_fen: int, tariff: Tariff, policy: SessionPolicy) -> Limit:
    """The resident's limit, capped by the longest session and by what the balance pays at the highest price.

    Raises WalletError when the balance is below ``policy.min_balance_fen``.
    """
    if balance_fen < policy.min_balance_fen:
        raise WalletError(f"balance {balance_fen} fen is below the {policy.min_balance_fen} fen a session needs")
    max_s = min(limit.max_s or math.inf, policy.max_session_s)
    max_wh = limit.max_wh
    yuan = balance_fen / 100
    if tariff.billing is Billing.ENERGY:
        top = max(tariff.per_kwh.values())
        if top > 0:
            max_wh = min(max_wh or math.inf, yuan / top * 1000)
    else:
        top = max(rate for band in tariff.power_bands for rate in band.per_hour.values())
        if top > 0:
            max_s = min(max_s, yuan / top * 3600)
    return Limit(max_s=max_s, max_wh=max_wh)


def settle(balance_fen: int, cost_yuan: float) -> Settlement:
    """Debit a finished session's cost (rounded half-up to the fen), never below a zero balance."""
    due = to_fen(cost_yuan)
    if due < 0:
        raise WalletError(f"a session cannot cost less than nothing: {cost_yuan} yuan")
    charged = min(due, max(balance_fen, 0))
    return Settlement(charged, due - charged, balance_fen - charged)


def credit(balance_fen: int, amount_fen: int, policy: SessionPolicy) -> int:
    """The balance after a staff credit; raises WalletError for a non-positive or oversized amount."""
    if amount_fen <= 0:
        raise WalletError("a credit must be more than 0 fen")
    if amount_fen > policy.max_credit_fen:
        raise WalletError(f"a single credit may add at most {policy.max_credit_fen} fen")
    return balance_fen + amount_fen
