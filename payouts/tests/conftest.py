"""Payouts test helpers: money in through billing's funding service, earnings through billing's
`campaign_budget_spend`, Connect accounts through the gateway and the Stripe simulator."""

import itertools

import pytest
from django.db import transaction

from billing import gateway
from billing.audit import ledger_audit
from stripe_simulator.pytest_plugin import stripe_client, stripe_sim, stripe_simulator_server  # noqa: F401

_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _simulator_settings(settings, stripe_sim):  # noqa: F811
    settings.STRIPE_API_BASE = stripe_sim.base_url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5
    gateway._client.cache_clear()
    yield
    gateway._client.cache_clear()


def fund(campaign, budget_cents, *, charge_id=""):
    """Fund `campaign` through billing's funding service (as if Stripe had confirmed a payment).

    The charge is a real one in the simulator, so transfers can use it as their
    `source_transaction`."""
    from billing.models import IntentMethod, IntentPurpose, StripePaymentIntent
    from billing.services import funding_record_success, platform_fee_cents

    fee = platform_fee_cents(budget_cents)
    n = next(_ids)
    charge_id = charge_id or simulator_charge(budget_cents + fee)
    intent = StripePaymentIntent.objects.create(
        campaign=campaign,
        advertiser=campaign.advertiser,
        purpose=IntentPurpose.FUNDING,
        method=IntentMethod.SAVED_CARD,
        budget_amount=budget_cents,
        fee_amount=fee,
        amount=budget_cents + fee,
        currency=campaign.currency,
        views_funded=campaign.max_views if campaign.is_visibility else None,
        rate_per_100_views=campaign.cpv if campaign.is_visibility else None,
    )
    pi = gateway.PaymentIntent(
        id=f"pi_test_{n}",
        status="succeeded",
        amount=budget_cents + fee,
        currency=campaign.currency,
        customer_id="cus_test",
        payment_method_id="pm_card_visa",
        latest_charge_id=charge_id or f"ch_test_{n}",
        metadata={"intent_row_id": str(intent.pk)},
    )
    charge = gateway.Charge(
        id=charge_id or f"ch_test_{n}",
        status="succeeded",
        amount=budget_cents + fee,
        amount_refunded=0,
        currency=campaign.currency,
        payment_intent_id=pi.id,
        payment_method_id="pm_card_visa",
        card_brand="visa",
        card_last4="4242",
        receipt_url="",
        stripe_fee=0,
    )
    funding_record_success(intent=intent, pi=pi, charge=charge)
    campaign.refresh_from_db()
    return intent


def simulator_charge(amount_cents):
    """A real succeeded charge in the simulator (for `source_transaction`)."""
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


def earn(campaign, promoter, amount_cents, key, destination="pending"):
    from billing.services import campaign_budget_spend

    with transaction.atomic():
        return campaign_budget_spend(
            campaign=campaign,
            promoter=promoter,
            amount_cents=amount_cents,
            idempotency_key=key,
            destination=destination,
        )


def connect_ready(stripe_sim, user):  # noqa: F811
    """A Connect account created through the gateway, onboarded in the simulator, synced."""
    from payouts import services

    account = services.connect_account_get_or_create(user=user)
    stripe_sim.complete_onboarding(account.stripe_account_id)
    return services.connect_account_refresh(stripe_account_id=account.stripe_account_id)


def assert_books_clean():
    report = ledger_audit()
    assert report.clean, report.differences
