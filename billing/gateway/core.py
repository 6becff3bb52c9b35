"""The client, and Stripe's errors turned into ones a person can act on; every call goes through `call`."""

from __future__ import annotations

import functools

import stripe
from django.conf import settings

from billing import ratelimit
from billing.ratelimit import Priority
from campaignplatform import payment_limits as limits


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


def amount_check(amount: int, currency: str, *, charged: bool) -> None:
    """Refuse, without calling Stripe, what Stripe would refuse (a definitive GatewayError)."""
    try:
        limits.amount_check(amount, currency, charged=charged)
    except limits.AmountRefused as refusal:
        raise GatewayError(refusal.message, code=refusal.code) from refusal


def budget_take(endpoint: str, priority: Priority, max_wait: float | None) -> None:
    """A token of the shared request budget (billing.ratelimit) before a money-moving call; none
    within the wait is what Stripe's 429 would have been."""
    try:
        ratelimit.take(endpoint=endpoint, priority=priority, max_wait=10.0 if max_wait is None else max_wait)
    except ratelimit.RateBudgetExceeded as error:
        raise GatewayRateLimited("The payment service is busy. Please try again in a minute.") from error


def call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except stripe.StripeError as error:
        raise _translate(error) from error


# What advertisers may pay with: cards, and US bank accounts (ACH Direct Debit, which settle
# days later: the payment stays `processing` until then).
PAYMENT_METHOD_TYPES = ["card", "us_bank_account"]


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


def options(idempotency_key: str | None = None, stripe_account: str | None = None) -> dict:
    options = {}
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    if stripe_account:
        options["stripe_account"] = stripe_account
    return options


def id_of(value) -> str:
    """An expandable field: an id string, an object with an id, or None."""
    if value is None:
        return ""
    return value if isinstance(value, str) else value.id
