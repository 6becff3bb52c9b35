"""Stripe customers and saved payment methods (cards and US bank accounts)."""

from __future__ import annotations

import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import gateway
from billing.gateway import GatewayError, GatewayUnavailable
from billing.models import (
    BillingCustomer,
    PaymentMethod,
)
from billing.services.base import BillingError

logger = logging.getLogger(__name__)


def billing_customer_ensure(*, user) -> BillingCustomer:
    """The user's Stripe customer, created on first use (pending row first, then Stripe)."""
    customer, _created = BillingCustomer.objects.get_or_create(user=user)
    if customer.stripe_customer_id:
        return customer
    result = gateway.customer_create(
        email=user.email,
        name=user.full_name or user.email,
        metadata={"user_public_id": str(user.public_id)},
        idempotency_key=f"customer-create-{customer.pk}",
    )
    BillingCustomer.objects.filter(pk=customer.pk, stripe_customer_id__isnull=True).update(stripe_customer_id=result.id)
    customer.refresh_from_db()
    return customer


def payment_method_setup_start(*, user, success_url: str, cancel_url: str) -> str:
    """A Stripe Checkout page (setup mode) where the advertiser adds a card; returns its URL.

    `success_url` should carry `{CHECKOUT_SESSION_ID}`; the return page calls
    `payment_method_setup_complete` with it.
    """
    customer = billing_customer_ensure(user=user)
    session = gateway.checkout_setup_session_create(
        customer_id=customer.stripe_customer_id,
        success_url=success_url,
        cancel_url=cancel_url,
        metadata={"user_public_id": str(user.public_id)},
        # Moves no money: each visit may open its own page.
        idempotency_key=f"setup-session-{uuid.uuid4()}",
    )
    return session.url


def payment_method_setup_complete(*, user, session_id: str) -> PaymentMethod:
    """Re-read the Checkout Session and its SetupIntent from Stripe and store the card."""
    customer = BillingCustomer.objects.filter(user=user).first()
    try:
        session = gateway.checkout_session_retrieve(session_id)
    except GatewayError as error:
        if isinstance(error, GatewayUnavailable):
            raise
        raise BillingError("That card setup was not found. Add the card again.") from error
    if customer is None or session.mode != "setup" or session.customer_id != customer.stripe_customer_id:
        raise BillingError("That card setup does not belong to your account.")
    if session.status != "complete" or not session.setup_intent_id:
        raise BillingError("The card was not added. Try again.")
    setup_intent = gateway.setup_intent_retrieve(session.setup_intent_id)
    if setup_intent.status != "succeeded" or not setup_intent.payment_method_id:
        raise BillingError("Your bank did not confirm the card. Try again or use another card.")
    return payment_method_store(user=user, stripe_payment_method_id=setup_intent.payment_method_id)


def payment_method_store(*, user, stripe_payment_method_id: str) -> PaymentMethod:
    """Store a card or bank account from Stripe's current data; the first one becomes the default.
    Idempotent."""
    existing = PaymentMethod.objects.filter(stripe_payment_method_id=stripe_payment_method_id).first()
    if existing:
        return existing
    card = gateway.payment_method_retrieve(stripe_payment_method_id)
    fields = {
        "user": user,
        "stripe_payment_method_id": card.id,
        "kind": card.kind,
        "brand": card.brand,
        "bank_name": card.bank_name,
        "last4": card.last4,
        # A bank account has no expiry.
        "exp_month": card.exp_month or None,
        "exp_year": card.exp_year or None,
    }
    has_default = PaymentMethod.objects.filter(user=user, is_default=True, removed_at__isnull=True).exists()
    for is_default in (not has_default, False):
        try:
            with transaction.atomic():
                return PaymentMethod.objects.create(is_default=is_default, **fields)
        except IntegrityError:
            # Stored meanwhile (webhook and return page racing), or another card became default.
            existing = PaymentMethod.objects.filter(stripe_payment_method_id=card.id).first()
            if existing:
                return existing
    raise BillingError("The card could not be saved. Try again.")


def payment_method_set_default(*, user, payment_method: PaymentMethod) -> PaymentMethod:
    with transaction.atomic():
        cards = list(PaymentMethod.objects.select_for_update().filter(user=user).order_by("pk"))
        if payment_method.pk not in {card.pk for card in cards} or payment_method.removed_at:
            raise BillingError("That card is not on your account.")
        PaymentMethod.objects.filter(user=user, is_default=True).exclude(pk=payment_method.pk).update(is_default=False)
        PaymentMethod.objects.filter(pk=payment_method.pk).update(is_default=True)
    payment_method.is_default = True
    return payment_method


def payment_method_remove(*, user, payment_method: PaymentMethod) -> None:
    """Detach the card at Stripe, then mark it removed (kept: charges point at it)."""
    if payment_method.user_id != user.pk or payment_method.removed_at:
        raise BillingError("That card is not on your account.")
    try:
        gateway.payment_method_detach(payment_method.stripe_payment_method_id)
    except GatewayUnavailable:
        raise
    except GatewayError as error:
        # Already detached (or deleted) at Stripe: removing it here is still right.
        logger.info("detach of %s refused: %s", payment_method.stripe_payment_method_id, error)
    with transaction.atomic():
        cards = list(
            PaymentMethod.objects.select_for_update().filter(user=user, removed_at__isnull=True).order_by("pk")
        )
        PaymentMethod.objects.filter(pk=payment_method.pk).update(removed_at=timezone.now(), is_default=False)
        others = [card for card in cards if card.pk != payment_method.pk]
        if payment_method.is_default and others:
            PaymentMethod.objects.filter(pk=others[-1].pk).update(is_default=True)


def default_payment_method(user) -> PaymentMethod | None:
    return PaymentMethod.objects.filter(user=user, is_default=True, removed_at__isnull=True).first()
