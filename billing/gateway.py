"""The one module that talks to Stripe. Kept whole on purpose, past 500 lines: every Stripe call,
its idempotency key and its error translation can be reviewed in one file, and `grep stripe`
finds nothing elsewhere.

Everything returned is a plain frozen dataclass, never a Stripe object, and every Stripe error
becomes one of this module's exceptions with a message a person can act on. Calls that move
money take an `idempotency_key` derived from the local row they serve. Never call these inside
`transaction.atomic()` or while holding row locks.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

import stripe
from django.conf import settings

from billing import ratelimit
from billing.ratelimit import Priority
from campaignplatform import payment_limits as limits

# --- Errors ------------------------------------------------------------------------------------


class GatewayError(Exception):
    """Stripe refused the request; retrying the same request will not help."""

    def __init__(self, message: str, *, code: str = ""):
        self.message, self.code = message, code
        super().__init__(message)


class PaymentDeclined(GatewayError):
    """The card was declined; the message is Stripe's reason, fit to show the payer."""

    def __init__(self, message: str, decline_code: str = "", *, payment_intent_id: str = ""):
        super().__init__(message, code=decline_code)
        self.decline_code = decline_code
        self.payment_intent_id = payment_intent_id


class PaymentRequiresAction(GatewayError):
    """The bank wants the payer to authenticate (3D Secure) before the payment can go through."""

    def __init__(self, message: str, *, redirect_url: str = "", payment_intent_id: str = ""):
        super().__init__(message, code="authentication_required")
        self.redirect_url = redirect_url
        self.payment_intent_id = payment_intent_id


class GatewayUnavailable(GatewayError):
    """Stripe could not be reached or failed on its side; the same request may be retried
    (with the same idempotency key) later."""


class GatewayRateLimited(GatewayUnavailable):
    """Stripe answered 429: too many requests. The same request may be sent again, with the
    same idempotency key, after backing off."""


def _translate(error: stripe.StripeError) -> GatewayError:
    message = getattr(error, "user_message", None) or str(getattr(error, "_message", "") or error) or "Stripe error."
    code = getattr(error, "code", "") or ""
    payload = getattr(error, "error", None)
    intent = getattr(payload, "payment_intent", None) if payload is not None else None
    intent_id = getattr(intent, "id", "") if intent is not None else ""
    if isinstance(error, stripe.CardError):
        decline = getattr(payload, "decline_code", None) or code or "card_declined"
        if decline == "authentication_required":
            return PaymentRequiresAction(
                "Your bank asks you to confirm this payment. Pay through the secure payment page instead.",
                payment_intent_id=intent_id,
            )
        return PaymentDeclined(message, decline, payment_intent_id=intent_id)
    if isinstance(error, stripe.RateLimitError):
        return GatewayRateLimited("The payment service asked us to slow down. Please try again in a minute.")
    if isinstance(error, stripe.APIConnectionError):
        return GatewayUnavailable("The payment service could not be reached. Please try again in a minute.")
    if isinstance(error, stripe.APIError) or (getattr(error, "http_status", None) or 0) >= 500:
        return GatewayUnavailable("The payment service had a problem. Please try again in a minute.", code=code)
    if getattr(error, "http_status", None) == 409:
        return GatewayUnavailable("The same payment request is still being processed. Try again shortly.")
    return GatewayError(message, code=code)


def _amount_check(amount: int, currency: str, *, charged: bool) -> None:
    """Refuse, without calling Stripe, what Stripe would refuse (a definitive GatewayError)."""
    try:
        limits.amount_check(amount, currency, charged=charged)
    except limits.AmountRefused as refusal:
        raise GatewayError(refusal.message, code=refusal.code) from refusal


def _budget_take(endpoint: str, priority: Priority, max_wait: float | None) -> None:
    """A token of the shared request budget (billing.ratelimit) before a money-moving call; none
    within the wait is what Stripe's 429 would have been."""
    try:
        ratelimit.take(endpoint=endpoint, priority=priority, max_wait=10.0 if max_wait is None else max_wait)
    except ratelimit.RateBudgetExceeded as error:
        raise GatewayRateLimited("The payment service is busy. Please try again in a minute.") from error


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except stripe.StripeError as error:
        raise _translate(error) from error


# What advertisers may pay with: cards, and US bank accounts (ACH Direct Debit, which settle
# days later: the payment stays `processing` until then).
PAYMENT_METHOD_TYPES = ["card", "us_bank_account"]


# --- The client --------------------------------------------------------------------------------


def client() -> stripe.StripeClient:
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE or "",
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
        float(settings.STRIPE_TIMEOUT_SECONDS),
    )


@functools.lru_cache(maxsize=8)
def _client(secret_key: str, api_base: str, retries: int, timeout: float) -> stripe.StripeClient:
    options = {
        "max_network_retries": retries,
        # The default timeout is 80 s: too long to hold a web worker.
        "http_client": stripe.RequestsClient(timeout=timeout),
    }
    if api_base:
        options["base_addresses"] = {"api": api_base, "connect": api_base, "files": api_base}
    return stripe.StripeClient(secret_key, **options)


def _options(idempotency_key: str | None = None, stripe_account: str | None = None) -> dict:
    options = {}
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    if stripe_account:
        options["stripe_account"] = stripe_account
    return options


def _id(value) -> str:
    """An expandable field: an id string, an object with an id, or None."""
    if value is None:
        return ""
    return value if isinstance(value, str) else value.id


# --- Results -----------------------------------------------------------------------------------


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


def _metadata(obj) -> dict:
    metadata = getattr(obj, "metadata", None)
    return dict(metadata.to_dict()) if metadata else {}


def _payment_intent(pi) -> PaymentIntent:
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
        customer_id=_id(pi.customer),
        payment_method_id=_id(pi.payment_method),
        latest_charge_id=_id(pi.latest_charge),
        metadata=_metadata(pi),
        failure_message=error_data.get("message") or "",
        decline_code=error_data.get("decline_code") or error_data.get("code") or "",
        redirect_url=redirect_url or "",
    )


def _checkout_session(session) -> CheckoutSession:
    return CheckoutSession(
        id=session.id,
        url=session.url or "",
        mode=session.mode,
        status=session.status or "",
        payment_status=session.payment_status or "",
        customer_id=_id(session.customer),
        payment_intent_id=_id(session.payment_intent),
        setup_intent_id=_id(session.setup_intent),
        metadata=_metadata(session),
    )


def _refund(refund) -> Refund:
    return Refund(
        id=refund.id,
        status=refund.status,
        amount=refund.amount,
        charge_id=_id(refund.charge),
        failure_reason=getattr(refund, "failure_reason", None) or "",
    )


def _account(account) -> ConnectAccount:
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


def _transfer(transfer) -> Transfer:
    return Transfer(
        id=transfer.id,
        amount=transfer.amount,
        currency=transfer.currency,
        destination=_id(transfer.destination),
        transfer_group=transfer.transfer_group or "",
        amount_reversed=transfer.amount_reversed or 0,
        reversed=bool(transfer.reversed),
    )


# --- Customers and payment methods -------------------------------------------------------------


def customer_create(*, email: str, name: str, metadata: dict, idempotency_key: str) -> Customer:
    customer = _call(
        client().v1.customers.create,
        {"email": email, "name": name, "metadata": metadata},
        _options(idempotency_key),
    )
    return Customer(id=customer.id)


def checkout_setup_session_create(
    *, customer_id: str, success_url: str, cancel_url: str, metadata: dict, idempotency_key: str
) -> CheckoutSession:
    session = _call(
        client().v1.checkout.sessions.create,
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
        _options(idempotency_key),
    )
    return _checkout_session(session)


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
    _amount_check(amount, currency, charged=True)
    session = _call(
        client().v1.checkout.sessions.create,
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
        _options(idempotency_key),
    )
    return _checkout_session(session)


def checkout_session_retrieve(session_id: str) -> CheckoutSession:
    return _checkout_session(_call(client().v1.checkout.sessions.retrieve, session_id))


def checkout_session_expire(session_id: str) -> CheckoutSession:
    return _checkout_session(_call(client().v1.checkout.sessions.expire, session_id))


def setup_intent_retrieve(setup_intent_id: str) -> SetupIntent:
    si = _call(client().v1.setup_intents.retrieve, setup_intent_id)
    return SetupIntent(
        id=si.id, status=si.status, customer_id=_id(si.customer), payment_method_id=_id(si.payment_method)
    )


def payment_method_retrieve(payment_method_id: str) -> Card:
    pm = _call(client().v1.payment_methods.retrieve, payment_method_id)
    if pm.type == "us_bank_account":
        bank = pm.us_bank_account
        return Card(
            id=pm.id,
            customer_id=_id(pm.customer),
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
        customer_id=_id(pm.customer),
        brand=card.brand if card else "",
        last4=card.last4 if card else "",
        exp_month=card.exp_month if card else 0,
        exp_year=card.exp_year if card else 0,
    )


def payment_method_detach(payment_method_id: str) -> None:
    _call(client().v1.payment_methods.detach, payment_method_id)


# --- Payments and refunds ----------------------------------------------------------------------


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
    _amount_check(amount, currency, charged=True)
    pi = _call(
        client().v1.payment_intents.create,
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
        _options(idempotency_key),
    )
    return _payment_intent(pi)


def payment_intent_retrieve(payment_intent_id: str) -> PaymentIntent:
    return _payment_intent(_call(client().v1.payment_intents.retrieve, payment_intent_id))


def charge_retrieve(charge_id: str) -> Charge:
    """The charge with Stripe's processing fee read from its balance transaction."""
    charge = _call(client().v1.charges.retrieve, charge_id, {"expand": ["balance_transaction"]})
    balance_transaction = charge.balance_transaction
    fee = 0
    if balance_transaction is not None and not isinstance(balance_transaction, str):
        fee = balance_transaction.fee or 0
    elif isinstance(balance_transaction, str):
        fee = _call(client().v1.balance_transactions.retrieve, balance_transaction).fee or 0
    details = charge.payment_method_details.to_dict() if charge.payment_method_details else {}
    # A bank debit shows its bank where a card shows its brand.
    card = details.get("card") or details.get("us_bank_account") or {}
    return Charge(
        id=charge.id,
        status=charge.status,
        amount=charge.amount,
        amount_refunded=charge.amount_refunded or 0,
        currency=charge.currency,
        payment_intent_id=_id(charge.payment_intent),
        payment_method_id=_id(charge.payment_method),
        card_brand=card.get("brand") or card.get("bank_name") or "",
        card_last4=card.get("last4") or "",
        receipt_url=charge.receipt_url or "",
        stripe_fee=fee,
        failure_message=charge.failure_message or "",
    )


def refund_create(
    *, charge_id: str, amount: int, metadata: dict, idempotency_key: str, max_wait: float | None = None
) -> Refund:
    _amount_check(amount, "usd", charged=False)  # a refund is in its charge's currency: usd only
    _budget_take("POST /v1/refunds", Priority.HIGH, max_wait)
    refund = _call(
        client().v1.refunds.create,
        {"charge": charge_id, "amount": amount, "reason": "requested_by_customer", "metadata": metadata},
        _options(idempotency_key),
    )
    return _refund(refund)


def refund_retrieve(refund_id: str) -> Refund:
    return _refund(_call(client().v1.refunds.retrieve, refund_id))


# --- Webhooks ----------------------------------------------------------------------------------


class WebhookSignatureError(Exception):
    pass


class WebhookPayloadInvalid(Exception):
    """A correctly signed body that is not a Stripe event we can store; the message says why."""


EVENT_ID_MAX_LENGTH = 255  # StripeWebhookEvent.stripe_event_id


def construct_webhook_event(payload: bytes, sig_header: str | None) -> dict:
    """Verify the signature on the raw body and return the event as a plain dict. The platform's
    endpoint and the Connect endpoint each have their own signing secret; either may sign.

    Raises WebhookSignatureError (bad or missing signature) or WebhookPayloadInvalid (signed,
    but not an event: not a JSON object, no string `id`/`type`, no `data.object`), so nothing
    malformed reaches the store or a handler.
    """
    if not sig_header:
        raise WebhookSignatureError("Missing Stripe-Signature header.")
    secrets = [secret for secret in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if secret]
    failure = "No signing secret is configured."
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload.decode("utf-8", errors="replace"), sig_header, secret)
            break
        except stripe.SignatureVerificationError as error:
            failure = str(error)
        except ValueError as error:
            raise WebhookSignatureError(str(error)) from error
    else:
        raise WebhookSignatureError(failure)
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        raise WebhookPayloadInvalid("the body is not valid JSON.") from None
    _check_event_shape(event)
    return event


def _check_event_shape(event) -> None:
    if not isinstance(event, dict):
        raise WebhookPayloadInvalid("the body must be a JSON object (a Stripe event).")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= EVENT_ID_MAX_LENGTH:
        raise WebhookPayloadInvalid(f"`id` must be a string of 1 to {EVENT_ID_MAX_LENGTH} characters.")
    if not isinstance(event.get("type"), str) or not 0 < len(event["type"]) <= 100:
        raise WebhookPayloadInvalid("`type` must be a string of 1 to 100 characters.")
    account = event.get("account")
    if account is not None and not (isinstance(account, str) and len(account) <= 255):
        raise WebhookPayloadInvalid("`account` must be a string of at most 255 characters.")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise WebhookPayloadInvalid("`data.object` must be a JSON object.")


# --- Webhook endpoints (setup_stripe_webhooks) ------------------------------------------------


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str
    url: str
    enabled_events: tuple
    connect: bool
    enabled: bool
    role: str  # metadata["campaignplatform"]: which of ours it is ("platform", "connect"), or ""
    secret: str = ""  # given by Stripe when the endpoint is created, never again


def _webhook_endpoint(endpoint) -> WebhookEndpoint:
    data = endpoint.to_dict()
    return WebhookEndpoint(
        id=data["id"],
        url=data["url"],
        enabled_events=tuple(sorted(data.get("enabled_events") or ())),
        connect=bool(data.get("application")),
        enabled=data.get("status") == "enabled",
        role=(data.get("metadata") or {}).get("campaignplatform", ""),
        secret=data.get("secret") or "",
    )


def webhook_endpoints_list() -> list[WebhookEndpoint]:
    endpoints = _call(client().v1.webhook_endpoints.list, params={"limit": 100})
    return [_webhook_endpoint(endpoint) for endpoint in endpoints.auto_paging_iter()]


def webhook_endpoint_create(*, url: str, enabled_events: list[str], connect: bool, role: str) -> WebhookEndpoint:
    params = {
        "url": url,
        "enabled_events": enabled_events,
        "connect": connect,
        "description": f"Campaign Platform ({role})",
        "metadata": {"campaignplatform": role},
    }
    return _webhook_endpoint(_call(client().v1.webhook_endpoints.create, params=params))


def webhook_endpoint_update(endpoint_id: str, *, url: str, enabled_events: list[str]) -> WebhookEndpoint:
    params = {"url": url, "enabled_events": enabled_events, "disabled": False}
    return _webhook_endpoint(_call(client().v1.webhook_endpoints.update, endpoint_id, params=params))


# --- Connect (used by payouts) -----------------------------------------------------------------


def account_create_express(*, email: str, country: str, metadata: dict, idempotency_key: str) -> ConnectAccount:
    account = _call(
        client().v1.accounts.create,
        {
            "type": "express",
            "email": email,
            "country": country,
            "capabilities": {"transfers": {"requested": True}},
            "metadata": metadata,
        },
        _options(idempotency_key),
    )
    return _account(account)


def account_link_create(*, account_id: str, refresh_url: str, return_url: str) -> str:
    link = _call(
        client().v1.account_links.create,
        {"account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"},
    )
    return link.url


def account_retrieve(account_id: str) -> ConnectAccount:
    return _account(_call(client().v1.accounts.retrieve, account_id))


def transfer_create(
    *,
    amount: int,
    currency: str,
    destination: str,
    transfer_group: str,
    source_transaction: str | None,
    idempotency_key: str,
    metadata: dict,
    priority: Priority = Priority.HIGH,
    max_wait: float | None = None,
) -> Transfer:
    """One transfer, once the shared request budget allows it (`priority`: the payout run's
    BULK waits behind immediate payments; `max_wait` seconds at most, else GatewayRateLimited)."""
    _amount_check(amount, currency, charged=False)
    _budget_take("POST /v1/transfers", priority, max_wait)
    params = {
        "amount": amount,
        "currency": currency,
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": metadata,
    }
    if source_transaction:
        params["source_transaction"] = source_transaction
    return _transfer(_call(client().v1.transfers.create, params, _options(idempotency_key)))


def transfer_retrieve(transfer_id: str) -> Transfer:
    return _transfer(_call(client().v1.transfers.retrieve, transfer_id))


# --- Disputes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dispute:
    id: str
    charge_id: str
    amount: int
    currency: str
    status: str
    reason: str
    stripe_fee: int


def dispute_retrieve(dispute_id: str) -> Dispute:
    dispute = _call(client().v1.disputes.retrieve, dispute_id)
    fee = 0
    for txn in dispute.balance_transactions or []:
        # Stripe reports its dispute fee on the withdrawal's balance transaction (the simulator
        # as a separate one): the fees withdrawn, whichever way they are written.
        fee += (txn.fee or 0) if txn.amount < 0 else 0
        if txn.amount < 0 and getattr(txn, "type", "") == "stripe_fee":
            fee += -txn.amount
    return Dispute(
        id=dispute.id,
        charge_id=_id(dispute.charge),
        amount=dispute.amount,
        currency=dispute.currency,
        status=dispute.status,
        reason=dispute.reason or "",
        stripe_fee=fee,
    )
