"""Refunds of charges: partial and several per charge, refused for charges in a dispute not won."""

from __future__ import annotations

from ..errors import StripeError
from ..fixtures import build
from ..params import merge_metadata, to_int
from ..state import new_id
from .balance import dollars, record_balance_transaction
from .base import Ctx, Route, get_or_404, list_under, list_where


def _dispute_not_won(ctx: Ctx, charge_id: str) -> bool:
    disputes = [d for d in ctx.state.all("dispute", None) if d.get("charge") == charge_id]
    return any(d["status"] != "won" for d in disputes)


def create_refund(ctx: Ctx) -> dict:
    p = ctx.params
    ch = _refundable_charge(ctx, p)
    if ch.get("disputed") and _dispute_not_won(ctx, ch["id"]):
        # Stripe's answer to refunding a charged-back payment: the card holder has the money.
        raise StripeError(
            f"Charge {ch['id']} has been charged back; cannot issue a refund.", code="charge_disputed", param="charge"
        )
    remaining = ch["amount"] - ch["amount_refunded"]
    if remaining <= 0:
        raise StripeError(
            f"Charge {ch['id']} has already been refunded.", code="charge_already_refunded", param="charge"
        )
    amount = to_int(p, "amount", default=remaining)
    if amount <= 0:
        raise StripeError("Invalid positive integer", code="parameter_invalid_integer", param="amount", cacheable=False)
    if amount > remaining:
        what = "unrefunded amount on charge" if ch["amount_refunded"] else "charge amount"
        raise StripeError(
            f"Refund amount ({dollars(amount)}) is greater than {what} ({dollars(remaining)})",
            code="amount_too_large",
            param="amount",
        )
    owner = ctx.state.owner.get(ch["id"])
    refund = build(
        "refund",
        id=new_id("re"),
        amount=amount,
        charge=ch["id"],
        payment_intent=ch["payment_intent"],
        currency=ch["currency"],
        reason=p.get("reason") or None,
        metadata=merge_metadata({}, p.get("metadata")),
        status="succeeded",
        payment_method=ch["payment_method"],
    )
    # Stripe keeps its processing fee on refunds: the whole amount leaves the balance.
    txn = record_balance_transaction(
        ctx, amount=-amount, currency=ch["currency"], type_="refund", source=refund["id"], owner=owner
    )
    refund["balance_transaction"] = txn["id"]
    ctx.state.put(refund, owner)
    previous = {"amount_refunded": ch["amount_refunded"], "refunded": ch["refunded"]}
    ch["amount_refunded"] += amount
    ch["refunded"] = ch["amount_refunded"] == ch["amount"]
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", ch, previous=previous)
    return refund


def _refundable_charge(ctx: Ctx, p: dict) -> dict:
    if p.get("charge"):
        ch = get_or_404(ctx, "charge", p["charge"], "charge", "charge")
    elif p.get("payment_intent"):
        pi = get_or_404(ctx, "payment_intent", p["payment_intent"], "payment_intent", "payment_intent")
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise StripeError(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        ch = ctx.state.get("charge", pi["latest_charge"], any_owner=True)
    else:
        raise StripeError(
            "One of the following params should be provided for this request: payment_intent or charge.",
            code="parameter_missing",
            cacheable=False,
        )
    if ch["status"] != "succeeded":
        raise StripeError(f"Charge {ch['id']} has not succeeded and cannot be refunded.", param="charge")
    return ch


def retrieve_refund(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "refund", id)


def list_refunds(ctx: Ctx) -> dict:
    return list_where(ctx, "refund", "/v1/refunds", ("charge", "payment_intent"))


def list_charge_refunds(ctx: Ctx, id: str) -> dict:
    return list_under(ctx, "charge", id, "refund", f"/v1/charges/{id}/refunds", link="charge")


ROUTES = [
    Route("GET", "/v1/charges/<id>/refunds", "ChargeListRefundsParams", list_charge_refunds),
    Route("POST", "/v1/refunds", "RefundCreateParams", create_refund),
    Route("GET", "/v1/refunds", "RefundListParams", list_refunds),
    Route("GET", "/v1/refunds/<id>", "RefundRetrieveParams", retrieve_refund),
]
