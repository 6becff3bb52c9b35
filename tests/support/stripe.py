"""Stripe in tests: saved cards, and events delivered to the webhook as Stripe signs them."""

import json

import stripe

from billing import services
from billing.models import StripeWebhookEvent


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


def deliver(client, sim, event, secret=None):
    """POST one simulator event to our webhook endpoint, signed as Stripe signs it."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret or sim.webhook_secret)
    return client.post(
        "/billing/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def events_of(sim, event_type):
    return [event for event in sim.events if event["type"] == event_type]


def webhook_rows():
    return StripeWebhookEvent.objects.count()
