"""Customers, payment methods and Checkout; PaymentIntents, charges and refunds."""

from __future__ import annotations

from django.conf import settings

from billing.gateway import core
from billing.gateway.core import PAYMENT_METHOD_TYPES, amount_check, budget_take, call, id_of, options
from billing.gateway.results import (
    Card,
    Charge,
    CheckoutSession,
    Customer,
    PaymentIntent,
    Refund,
    SetupIntent,
    checkout_session_from,
    payment_intent_from,
    refund_from,
)
from billing.ratelimit import Priority


def customer_create(*, email: str, name: str, metadata: dict, idempotency_key: str) -> Customer:
    customer = call(
        core.client().v1.customers.create,
        {"email": email, "name": name, "metadata": metadata},
        options(idempotency_key),
    )
    return Customer(id=customer.id)


def checkout_setup_session_create(
    *, customer_id: str, success_url: str, cancel_url: str, metadata: dict, idempotency_key: str
) -> CheckoutSession:
    session = call(
        core.client().v1.checkout.sessions.create,
        {
            "mode": "setup",
            "currency": settings.CURRENCY,
            "customer": customer_id,
            "allowed_payment_method_types": PAYMENT_METHOD_TYPES,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "setup_intent_data": {"metadata": metadata},
        },
        options(idempotency_key),
    )
    return checkout_session_from(session)


def checkout_payment_session_create(
    *,
    customer_id: str,
    amount: int,
    currency: str,
    description: str,
    success_url: str,
    cancel_url: str,
    transfer_group: str,
    metadata: dict,
    idempotency_key: str,
) -> CheckoutSession:
    amount_check(amount, currency, charged=True)
    session = call(
        core.client().v1.checkout.sessions.create,
        {
            "mode": "payment",
            "customer": customer_id,
            "allowed_payment_method_types": PAYMENT_METHOD_TYPES,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {"currency": currency, "unit_amount": amount, "product_data": {"name": description}},
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": metadata.get("intent_row_id", ""),
            "metadata": metadata,
            "payment_intent_data": {"transfer_group": transfer_group, "metadata": metadata, "description": description},
        },
        options(idempotency_key),
    )
    return checkout_session_from(session)


def checkout_session_retrieve(session_id: str) -> CheckoutSession:
    return checkout_session_from(call(core.client().v1.checkout.sessions.retrieve, session_id))


def checkout_session_expire(session_id: str) -> CheckoutSession:
    return checkout_session_from(call(core.client().v1.checkout.sessions.expire, session_id))


def setup_intent_retrieve(setup_intent_id: str) -> SetupIntent:
    si = call(core.client().v1.setup_intents.retrieve, setup_intent_id)
    return SetupIntent(
        id=si.id, status=si.status, customer_id=id_of(si.customer), payment_method_id=id_of(si.payment_method)
    )


def payment_method_retrieve(payment_method_id: str) -> Card:
    pm = call(core.client().v1.payment_methods.retrieve, payment_method_id)
    if pm.type == "us_bank_account":
        bank = pm.us_bank_account
        return Card(
            id=pm.id,
            customer_id=id_of(pm.customer),
            brand="",
            last4=bank.last4 or "",
            exp_month=0,
            exp_year=0,
            kind="us_bank_account",
            bank_name=bank.bank_name or "",
        )
    card = pm.card
    return Card(
        id=pm.id,
        customer_id=id_of(pm.customer),
        brand=card.brand if card else "",
        last4=card.last4 if card else "",
        exp_month=card.exp_month if card else 0,
        exp_year=card.exp_year if card else 0,
    )


def payment_method_detach(payment_method_id: str) -> None:
    call(core.client().v1.payment_methods.detach, payment_method_id)


def payment_intent_create(
    *,
    amount: int,
    currency: str,
    customer_id: str,
    payment_method_id: str,
    description: str,
    transfer_group: str,
    metadata: dict,
    return_url: str,
    idempotency_key: str,
) -> PaymentIntent:
    """Create and confirm an on-session payment with a saved card.

    Returns the intent (status `succeeded`, or `requires_action` with `redirect_url`); raises
    PaymentDeclined on a decline.
    """
    amount_check(amount, currency, charged=True)
    pi = call(
        core.client().v1.payment_intents.create,
        {
            "amount": amount,
            "currency": currency,
            "customer": customer_id,
            "payment_method": payment_method_id,
            "allowed_payment_method_types": PAYMENT_METHOD_TYPES,
            "confirm": True,
            "off_session": False,
            "description": description,
            "transfer_group": transfer_group,
            "metadata": metadata,
            "return_url": return_url,
        },
        options(idempotency_key),
    )
    return payment_intent_from(pi)


def payment_intent_retrieve(payment_intent_id: str) -> PaymentIntent:
    return payment_intent_from(call(core.client().v1.payment_intents.retrieve, payment_intent_id))


def charge_retrieve(charge_id: str) -> Charge:
    """The charge with Stripe's processing fee read from its balance transaction."""
    charge = call(core.client().v1.charges.retrieve, charge_id, {"expand": ["balance_transaction"]})
    balance_transaction = charge.balance_transaction
    fee = 0
    if balance_transaction is not None and not isinstance(balance_transaction, str):
        fee = balance_transaction.fee or 0
    elif isinstance(balance_transaction, str):
        fee = call(core.client().v1.balance_transactions.retrieve, balance_transaction).fee or 0
    details = charge.payment_method_details.to_dict() if charge.payment_method_details else {}
    # A bank debit shows its bank where a card shows its brand.
    card = details.get("card") or details.get("us_bank_account") or {}
    return Charge(
        id=charge.id,
        status=charge.status,
        amount=charge.amount,
        amount_refunded=charge.amount_refunded or 0,
        currency=charge.currency,
        payment_intent_id=id_of(charge.payment_intent),
        payment_method_id=id_of(charge.payment_method),
        card_brand=card.get("brand") or card.get("bank_name") or "",
        card_last4=card.get("last4") or "",
        receipt_url=charge.receipt_url or "",
        stripe_fee=fee,
        failure_message=charge.failure_message or "",
    )


def refund_create(
    *, charge_id: str, amount: int, metadata: dict, idempotency_key: str, max_wait: float | None = None
) -> Refund:
    amount_check(amount, "usd", charged=False)  # a refund is in its charge's currency: usd only
    budget_take("POST /v1/refunds", Priority.HIGH, max_wait)
    refund = call(
        core.client().v1.refunds.create,
        {"charge": charge_id, "amount": amount, "reason": "requested_by_customer", "metadata": metadata},
        options(idempotency_key),
    )
    return refund_from(refund)


def refund_retrieve(refund_id: str) -> Refund:
    return refund_from(call(core.client().v1.refunds.retrieve, refund_id))
