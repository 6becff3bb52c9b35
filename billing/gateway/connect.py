"""Connect accounts and transfers (used by payouts), and disputes."""

from __future__ import annotations

from dataclasses import dataclass

from billing.gateway import core
from billing.gateway.core import amount_check, budget_take, call, id_of, options
from billing.gateway.results import ConnectAccount, Transfer, account_from, transfer_from
from billing.ratelimit import Priority


def account_create_express(*, email: str, country: str, metadata: dict, idempotency_key: str) -> ConnectAccount:
    account = call(
        core.client().v1.accounts.create,
        {
            "type": "express",
            "email": email,
            "country": country,
            "capabilities": {"transfers": {"requested": True}},
            "metadata": metadata,
        },
        options(idempotency_key),
    )
    return account_from(account)


def account_link_create(*, account_id: str, refresh_url: str, return_url: str) -> str:
    link = call(
        core.client().v1.account_links.create,
        {"account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"},
    )
    return link.url


def account_retrieve(account_id: str) -> ConnectAccount:
    return account_from(call(core.client().v1.accounts.retrieve, account_id))


def transfer_create(
    *,
    amount: int,
    currency: str,
    destination: str,
    transfer_group: str,
    source_transaction: str | None,
    idempotency_key: str,
    metadata: dict,
    priority: Priority = Priority.HIGH,
    max_wait: float | None = None,
) -> Transfer:
    """One transfer, once the shared request budget allows it (`priority`: the payout run's
    BULK waits behind immediate payments; `max_wait` seconds at most, else GatewayRateLimited)."""
    amount_check(amount, currency, charged=False)
    budget_take("POST /v1/transfers", priority, max_wait)
    params = {
        "amount": amount,
        "currency": currency,
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": metadata,
    }
    if source_transaction:
        params["source_transaction"] = source_transaction
    return transfer_from(call(core.client().v1.transfers.create, params, options(idempotency_key)))


def transfer_retrieve(transfer_id: str) -> Transfer:
    return transfer_from(call(core.client().v1.transfers.retrieve, transfer_id))


@dataclass(frozen=True)
class Dispute:
    id: str
    charge_id: str
    amount: int
    currency: str
    status: str
    reason: str
    stripe_fee: int


def dispute_retrieve(dispute_id: str) -> Dispute:
    dispute = call(core.client().v1.disputes.retrieve, dispute_id)
    fee = 0
    for txn in dispute.balance_transactions or []:
        # Stripe reports its dispute fee on the withdrawal's balance transaction (the simulator
        # as a separate one): the fees withdrawn, whichever way they are written.
        fee += (txn.fee or 0) if txn.amount < 0 else 0
        if txn.amount < 0 and getattr(txn, "type", "") == "stripe_fee":
            fee += -txn.amount
    return Dispute(
        id=dispute.id,
        charge_id=id_of(dispute.charge),
        amount=dispute.amount,
        currency=dispute.currency,
        status=dispute.status,
        reason=dispute.reason or "",
        stripe_fee=fee,
    )
