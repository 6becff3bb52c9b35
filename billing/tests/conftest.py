"""Billing test fixtures: settings aimed at the Stripe simulator, cards, funded campaigns."""

import json

import pytest
import stripe

from billing import services
from billing.models import StripeWebhookEvent


@pytest.fixture
def stripe_settings(settings, stripe_sim):
    settings.STRIPE_API_BASE = stripe_sim.base_url
    settings.STRIPE_SECRET_KEY = stripe_sim.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_sim.webhook_secret
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5
    settings.PLATFORM_FEE_PERCENT = 10
    return settings


def add_card(user, stripe_client, card="pm_card_visa"):
    """Save a card for `user` the way the return page does (customer, attach, store)."""
    customer = services.billing_customer_ensure(user=user)
    if card.startswith("pm_"):
        pm = stripe_client.v1.payment_methods.attach(card, params={"customer": customer.stripe_customer_id})
    else:
        pm = stripe_client.v1.payment_methods.create(
            params={"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
        )
        pm = stripe_client.v1.payment_methods.attach(pm.id, params={"customer": customer.stripe_customer_id})
    return services.payment_method_store(user=user, stripe_payment_method_id=pm.id)


def fund(campaign, *, budget_cents=None, views=None):
    """Fund (or top up) `campaign` with its advertiser's saved card; returns the intent row."""
    quote = services.funding_quote(campaign=campaign, budget_cents=budget_cents, views=views)
    intent = services.funding_pay_with_card(campaign=campaign, actor=campaign.advertiser, quote=quote)
    campaign.refresh_from_db()
    return intent


def deliver(client, sim, event, secret=None):
    """POST one simulator event to our webhook endpoint, signed as Stripe signs it."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret or sim.webhook_secret)
    return client.post(
        "/billing/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def events_of(sim, event_type):
    return [event for event in sim.events if event["type"] == event_type]


@pytest.fixture
def card_for(stripe_settings, stripe_client):
    def make(user, card="pm_card_visa"):
        return add_card(user, stripe_client, card)

    return make


def webhook_rows():
    return StripeWebhookEvent.objects.count()
