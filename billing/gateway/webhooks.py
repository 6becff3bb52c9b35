"""Webhook events (signature and shape checked) and the webhook endpoints that `setup_stripe_webhooks` manages."""

from __future__ import annotations

import json
from dataclasses import dataclass

import stripe
from django.conf import settings

from billing.gateway import core
from billing.gateway.core import call


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
    endpoints = call(core.client().v1.webhook_endpoints.list, params={"limit": 100})
    return [_webhook_endpoint(endpoint) for endpoint in endpoints.auto_paging_iter()]


def webhook_endpoint_create(*, url: str, enabled_events: list[str], connect: bool, role: str) -> WebhookEndpoint:
    params = {
        "url": url,
        "enabled_events": enabled_events,
        "connect": connect,
        "description": f"Campaign Platform ({role})",
        "metadata": {"campaignplatform": role},
    }
    return _webhook_endpoint(call(core.client().v1.webhook_endpoints.create, params=params))


def webhook_endpoint_update(endpoint_id: str, *, url: str, enabled_events: list[str]) -> WebhookEndpoint:
    params = {"url": url, "enabled_events": enabled_events, "disabled": False}
    return _webhook_endpoint(call(core.client().v1.webhook_endpoints.update, endpoint_id, params=params))
