"""Disputes (chargebacks): opened on a charge by test card 4000000000000259 at payment or by the
`/_sim/disputes` control on any charge, then closed won or lost by the control.

As on Stripe: opening one withdraws the disputed amount and a dispute fee from the platform's
balance (`charge.dispute.created`, `charge.dispute.funds_withdrawn`); a dispute won gives the
amount back (`charge.dispute.funds_reinstated`, the fee stays with Stripe), lost keeps it; both
end with `charge.dispute.closed`.
"""

from __future__ import annotations

from ..errors import StripeError, missing
from ..fixtures import build
from ..state import new_id
from .balance import record_balance_transaction
from .base import Ctx, Route, get_or_404, list_where

DISPUTE_FEE = 1500  # Stripe's US dispute fee, $15.00


def open_dispute(ctx: Ctx, charge_id: str, reason: str = "fraudulent") -> dict:
    charge = ctx.state.get("charge", charge_id, None)
    if charge is None or charge["status"] != "succeeded":
        raise missing("charge", charge_id, "charge")
    if charge.get("disputed"):
        raise StripeError(f"Charge {charge_id} has already been disputed.", param="charge")
    amount = charge["amount"] - charge["amount_refunded"]
    if amount <= 0:
        raise StripeError(f"Charge {charge_id} has been refunded in full; it cannot be disputed.", param="charge")
    dispute_id = new_id("dp")
    withdrawn = record_balance_transaction(
        ctx, amount=-amount, currency=charge["currency"], type_="adjustment", source=dispute_id, description="Dispute"
    )
    fee = record_balance_transaction(
        ctx,
        amount=-DISPUTE_FEE,
        currency=charge["currency"],
        type_="stripe_fee",
        source=dispute_id,
        description="Dispute fee",
    )
    dispute = build(
        "dispute",
        id=dispute_id,
        amount=amount,
        currency=charge["currency"],
        charge=charge_id,
        payment_intent=charge.get("payment_intent"),
        reason=reason,
        status="needs_response",
        is_charge_refundable=False,
        balance_transactions=[withdrawn, fee],
    )
    ctx.state.put(dispute, None)
    charge["disputed"] = True
    ctx.emit("charge.dispute.created", dispute)
    ctx.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def close_dispute(ctx: Ctx, dispute_id: str, won: bool) -> dict:
    dispute = ctx.state.get("dispute", dispute_id, None)
    if dispute is None:
        raise missing("dispute", dispute_id)
    if dispute["status"] in ("won", "lost"):
        raise StripeError(f"Dispute {dispute_id} is already closed ({dispute['status']}).", param="dispute")
    if won:
        reinstated = record_balance_transaction(
            ctx,
            amount=dispute["amount"],
            currency=dispute["currency"],
            type_="adjustment",
            source=dispute_id,
            description="Dispute won",
        )
        dispute["balance_transactions"].append(reinstated)
        dispute["status"] = "won"
        ctx.emit("charge.dispute.funds_reinstated", dispute)
    else:
        dispute["status"] = "lost"
    ctx.emit("charge.dispute.closed", dispute)
    return dispute


def retrieve_dispute(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "dispute", id)


def list_disputes(ctx: Ctx) -> dict:
    return list_where(ctx, "dispute", "/v1/disputes", ("charge", "payment_intent"))


ROUTES = [
    Route("GET", "/v1/disputes", "DisputeListParams", list_disputes),
    Route("GET", "/v1/disputes/<id>", "DisputeRetrieveParams", retrieve_dispute),
]
