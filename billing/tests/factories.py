"""Test helpers for other apps: fund a campaign without Stripe (the real allocation service,
with the Stripe answers made up), so tracking and payouts tests can spend budget.

    from billing.tests.factories import fund_without_stripe
    fund_without_stripe(campaign, budget_cents=10_000)   # campaign becomes active if it was awaiting funding
"""

import uuid

from billing import gateway, services
from billing.models import IntentMethod, IntentStatus, StripePaymentIntent


def fund_without_stripe(campaign, *, budget_cents: int | None = None, stripe_fee: int = 0):
    """Allocate `budget_cents` (default: what `funding_quote` asks) plus its platform fee."""
    if budget_cents is None:
        budget_cents = services.funding_quote(campaign=campaign).budget_cents
    fee = services.platform_fee_cents(budget_cents)
    purpose = services.funding_purpose(campaign) or "funding"
    views = budget_cents * 100 // campaign.cpv if campaign.cpv and purpose == "top_up" else None
    intent = StripePaymentIntent.objects.create(
        campaign=campaign,
        advertiser=campaign.advertiser,
        purpose=purpose,
        method=IntentMethod.SAVED_CARD,
        budget_amount=budget_cents,
        fee_amount=fee,
        amount=budget_cents + fee,
        currency=campaign.currency,
        views_funded=views,
        rate_per_100_views=campaign.cpv,
        commission_rate=campaign.commission_per_sale,
        status=IntentStatus.PENDING,
    )
    pi_id, charge_id = f"pi_fake_{uuid.uuid4().hex[:16]}", f"ch_fake_{uuid.uuid4().hex[:16]}"
    pi = gateway.PaymentIntent(
        id=pi_id,
        status="succeeded",
        amount=intent.amount,
        currency=intent.currency,
        customer_id="",
        payment_method_id="",
        latest_charge_id=charge_id,
        metadata={"intent_row_id": str(intent.pk)},
    )
    charge = gateway.Charge(
        id=charge_id,
        status="succeeded",
        amount=intent.amount,
        amount_refunded=0,
        currency=intent.currency,
        payment_intent_id=pi_id,
        payment_method_id="",
        card_brand="visa",
        card_last4="4242",
        receipt_url="",
        stripe_fee=stripe_fee,
    )
    allocation = services.funding_record_success(intent=intent, pi=pi, charge=charge)
    campaign.refresh_from_db()
    return allocation
