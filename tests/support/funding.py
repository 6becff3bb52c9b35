"""Funding campaigns in tests: through the saved-card flow against the Stripe simulator, or
through billing's funding service with Stripe's answers made up (no network)."""

import uuid

from billing import fees, gateway, services
from billing.models import IntentMethod, IntentStatus, StripePaymentIntent


def fund_with_card(campaign, *, budget_cents=None, views=None):
    """Fund (or top up) `campaign` with its advertiser's saved card; returns the intent row."""
    quote = services.funding_quote(campaign=campaign, budget_cents=budget_cents, views=views)
    intent = services.funding_pay_with_card(campaign=campaign, actor=campaign.advertiser, quote=quote)
    campaign.refresh_from_db()
    return intent


def fund_with_charge(campaign, budget_cents, *, charge_id="", fee_reserve_cents=None):
    """`fund_without_stripe`, paid by a real simulator charge (`charge_id`, or a new one), so
    transfers can use it as their `source_transaction`."""
    if fee_reserve_cents is None:
        fee_reserve_cents = services.milestone_fee_reserve_cents(campaign)
    total = budget_cents + _fee_cents(campaign, budget_cents) + fee_reserve_cents
    return fund_without_stripe(
        campaign,
        budget_cents=budget_cents,
        charge_id=charge_id or simulator_charge(total),
        fee_reserve_cents=fee_reserve_cents,
    )


def _fee_cents(campaign, budget_cents, views=None):
    """The fee funding charges on top under the campaign's fee terms (the settings' percentage
    unless a fee plan applies)."""
    terms = fees.campaign_fee_terms(campaign)
    return fees.fee_quote(budget_cents=budget_cents, terms=terms, views=views).fee_cents


def simulator_charge(amount_cents):
    """A real succeeded charge in the simulator."""
    customer = gateway.customer_create(email="adv@example.test", name="Adv", metadata={}, idempotency_key=None)
    pi = gateway.payment_intent_create(
        amount=amount_cents,
        currency="usd",
        customer_id=customer.id,
        payment_method_id="pm_card_visa",
        description="funding",
        transfer_group="",
        metadata={},
        return_url="https://example.test/return",
        idempotency_key=None,
    )
    return pi.latest_charge_id


def fund_without_stripe(
    campaign,
    budget_cents: int | None = None,
    *,
    stripe_fee: int = 0,
    charge_id: str | None = None,
    fee_reserve_cents: int | None = None,
):
    """Fund (or top up) `campaign` through billing's funding service, as if Stripe had confirmed
    the payment: `budget_cents` (default: what the campaign asks, even below Stripe's minimum)
    plus its platform fee and, for a Consultant/Seller campaign under a fixed fee per milestone
    payment, its milestone fee reserve (`fee_reserve_cents=0`: a campaign funded before reserves
    existed), the fee plan fixed on the campaign as funding does. `charge_id` names a real
    simulator charge when transfers need one as their `source_transaction`
    (`simulator_charge`); otherwise a made-up id is used."""
    if budget_cents is None:
        budget_cents = campaign.funding_budget_cents() or services.funding_quote(campaign=campaign).budget_cents
    purpose = services.funding_purpose(campaign) or "funding"
    views = budget_cents * 100 // campaign.cpv if campaign.cpv and purpose == "top_up" else None
    services.campaign_fee_terms_fix(campaign=campaign)
    fee = _fee_cents(campaign, budget_cents, views or (campaign.max_views if campaign.cpv else None))
    if fee_reserve_cents is None:
        fee_reserve_cents = services.milestone_fee_reserve_cents(campaign)
    intent = StripePaymentIntent.objects.create(
        campaign=campaign,
        advertiser=campaign.advertiser,
        purpose=purpose,
        method=IntentMethod.SAVED_CARD,
        budget_amount=budget_cents,
        fee_amount=fee,
        fee_reserve_amount=fee_reserve_cents,
        amount=budget_cents + fee + fee_reserve_cents,
        currency=campaign.currency,
        views_funded=views,
        rate_per_100_views=campaign.cpv,
        commission_rate=campaign.commission_per_sale,
        status=IntentStatus.PENDING,
    )
    pi_id = f"pi_fake_{uuid.uuid4().hex[:16]}"
    charge_id = charge_id or f"ch_fake_{uuid.uuid4().hex[:16]}"
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
