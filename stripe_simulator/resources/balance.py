"""The platform's balance and its balance transactions: what each charge, refund, transfer and
dispute moved, with Stripe's fee."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ..fixtures import build
from ..state import new_id, now
from .base import Ctx, Route, get_or_404, list_where

# Stripe's standard US card pricing.
FEE_PERCENT = Decimal("0.029")
FEE_FIXED = 30


def stripe_fee(amount: int) -> int:
    return int((Decimal(amount) * FEE_PERCENT).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) + FEE_FIXED


def dollars(amount: int) -> str:
    return f"${amount / 100:,.2f}"


def record_balance_transaction(
    ctx: Ctx, *, amount: int, currency: str, type_: str, source: str, owner=None, fee: bool = False, description=None
) -> dict:
    """Create a balance transaction and move the owner's available balance by its net."""
    fee_amount = stripe_fee(amount) if fee else 0
    txn = build(
        "balance_transaction",
        id=new_id("txn"),
        amount=amount,
        currency=currency,
        fee=fee_amount,
        net=amount - fee_amount,
        fee_details=(
            [
                {
                    "amount": fee_amount,
                    "application": None,
                    "currency": currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee_amount
            else []
        ),
        type=type_,
        reporting_category=type_,
        source=source,
        description=description,
        # Simplification: funds are available at once (Stripe holds them ~2 days).
        status="available",
        available_on=now(),
    )
    ctx.state.put(txn, owner)
    ctx.state.credit(owner, currency, txn["net"])
    return txn


def retrieve_balance_transaction(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "balance_transaction", id, "balance transaction")


def list_balance_transactions(ctx: Ctx) -> dict:
    keys = ("source", "type", "currency")
    return list_where(ctx, "balance_transaction", "/v1/balance_transactions", keys, by_created=True)


def retrieve_balance(ctx: Ctx) -> dict:
    bal = ctx.state.balance_of(ctx.account)
    currencies = sorted(set(bal["available"]) | set(bal["pending"])) or ["usd"]

    def rows(bucket):
        return [
            {"amount": bal[bucket].get(c, 0), "currency": c, "source_types": {"card": bal[bucket].get(c, 0)}}
            for c in currencies
        ]

    out = build("balance", available=rows("available"), pending=rows("pending"))
    out["connect_reserved"] = [{"amount": 0, "currency": c} for c in currencies]
    return out


ROUTES = [
    Route("GET", "/v1/balance", "BalanceRetrieveParams", retrieve_balance),
    Route("GET", "/v1/balance_transactions", "BalanceTransactionListParams", list_balance_transactions),
    Route("GET", "/v1/balance_transactions/<id>", "BalanceTransactionRetrieveParams", retrieve_balance_transaction),
]
