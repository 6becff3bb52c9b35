"""What the gateway returns: plain frozen dataclasses, never Stripe objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from billing.gateway.core import id_of


@dataclass(frozen=True)
class Customer:
    id: str


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    mode: str
    status: str
    payment_status: str
    customer_id: str
    payment_intent_id: str
    setup_intent_id: str
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SetupIntent:
    id: str
    status: str
    customer_id: str
    payment_method_id: str


@dataclass(frozen=True)
class Card:
    """A saved payment method: a card, or a US bank account (`kind`, `bank_name`, no expiry)."""

    id: str
    customer_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    kind: str = "card"
    bank_name: str = ""


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    amount: int
    currency: str
    customer_id: str
    payment_method_id: str
    latest_charge_id: str
    metadata: dict
    failure_message: str = ""
    decline_code: str = ""
    redirect_url: str = ""


@dataclass(frozen=True)
class Charge:
    id: str
    status: str
    amount: int
    amount_refunded: int
    currency: str
    payment_intent_id: str
    payment_method_id: str
    card_brand: str
    card_last4: str
    receipt_url: str
    stripe_fee: int
    failure_message: str = ""


@dataclass(frozen=True)
class Refund:
    id: str
    status: str
    amount: int
    charge_id: str
    failure_reason: str = ""


@dataclass(frozen=True)
class ConnectAccount:
    id: str
    email: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    transfers_capability: str
    requirements_currently_due: tuple = ()
    disabled_reason: str = ""
    country: str = ""


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    currency: str
    destination: str
    transfer_group: str
    amount_reversed: int
    reversed: bool


def metadata_of(obj) -> dict:
    metadata = getattr(obj, "metadata", None)
    return dict(metadata.to_dict()) if metadata else {}


def payment_intent_from(pi) -> PaymentIntent:
    error = getattr(pi, "last_payment_error", None)
    next_action = getattr(pi, "next_action", None)
    redirect_url = ""
    if next_action is not None:
        data = next_action.to_dict()
        redirect_url = (data.get("redirect_to_url") or {}).get("url") or (data.get("use_stripe_sdk") or {}).get(
            "stripe_js", ""
        )
    error_data = error.to_dict() if error is not None else {}
    return PaymentIntent(
        id=pi.id,
        status=pi.status,
        amount=pi.amount,
        currency=pi.currency,
        customer_id=id_of(pi.customer),
        payment_method_id=id_of(pi.payment_method),
        latest_charge_id=id_of(pi.latest_charge),
        metadata=metadata_of(pi),
        failure_message=error_data.get("message") or "",
        decline_code=error_data.get("decline_code") or error_data.get("code") or "",
        redirect_url=redirect_url or "",
    )


def checkout_session_from(session) -> CheckoutSession:
    return CheckoutSession(
        id=session.id,
        url=session.url or "",
        mode=session.mode,
        status=session.status or "",
        payment_status=session.payment_status or "",
        customer_id=id_of(session.customer),
        payment_intent_id=id_of(session.payment_intent),
        setup_intent_id=id_of(session.setup_intent),
        metadata=metadata_of(session),
    )


def refund_from(refund) -> Refund:
    return Refund(
        id=refund.id,
        status=refund.status,
        amount=refund.amount,
        charge_id=id_of(refund.charge),
        failure_reason=getattr(refund, "failure_reason", None) or "",
    )


def account_from(account) -> ConnectAccount:
    capabilities = account.capabilities.to_dict() if getattr(account, "capabilities", None) else {}
    return ConnectAccount(
        id=account.id,
        email=account.email or "",
        charges_enabled=bool(account.charges_enabled),
        payouts_enabled=bool(account.payouts_enabled),
        details_submitted=bool(account.details_submitted),
        transfers_capability=capabilities.get("transfers") or "inactive",
        requirements_currently_due=tuple(getattr(account.requirements, "currently_due", None) or ())
        if getattr(account, "requirements", None)
        else (),
        disabled_reason=(getattr(account.requirements, "disabled_reason", None) or "")
        if getattr(account, "requirements", None)
        else "",
        country=account.country or "",
    )


def transfer_from(transfer) -> Transfer:
    return Transfer(
        id=transfer.id,
        amount=transfer.amount,
        currency=transfer.currency,
        destination=id_of(transfer.destination),
        transfer_group=transfer.transfer_group or "",
        amount_reversed=transfer.amount_reversed or 0,
        reversed=bool(transfer.reversed),
    )
