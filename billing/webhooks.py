"""Stripe webhook events: stored once, processed once, through an explicit registry of handlers.

Handlers treat an event as a trigger and re-read the object from Stripe (events arrive late,
twice, and out of order). A handler must be idempotent and must not be called inside a
transaction (it may call Stripe). Other apps add theirs with the decorator:

    from billing.webhooks import register

    @register("account.updated")
    def account_updated(event: dict) -> None:
        account_sync(account_id=event["data"]["object"]["id"])

and import that module at start-up (e.g. in their AppConfig.ready()).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from billing import gateway, services
from billing.models import (
    AdvertiserCharge,
    BillingCustomer,
    ChargeKind,
    ChargeStatus,
    StripePaymentIntent,
    StripeWebhookEvent,
    WebhookStatus,
)

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[dict], None]] = {}
MAX_BODY_BYTES = 256 * 1024
STALE_PROCESSING_MINUTES = 10


def register(*event_types: str):
    """Make the decorated function the handler of `event_types` (one handler per type)."""

    def decorator(function):
        for event_type in event_types:
            if event_type in HANDLERS and HANDLERS[event_type] is not function:
                raise ValueError(f"{event_type} already has a handler: {HANDLERS[event_type].__qualname__}")
            HANDLERS[event_type] = function
        return function

    return decorator


# --- Receiving and processing --------------------------------------------------------------------


def webhook_receive(*, payload: bytes, sig_header: str | None) -> int:
    """Verify, store once, process. Returns the HTTP status to answer Stripe with.

    Raises gateway.WebhookSignatureError before anything is stored when the signature is bad.
    """
    event = gateway.construct_webhook_event(payload, sig_header)
    row = webhook_event_store(event)
    return 200 if webhook_event_process(row) else 500


def webhook_event_store(event: dict) -> StripeWebhookEvent:
    try:
        with transaction.atomic():
            return StripeWebhookEvent.objects.create(
                stripe_event_id=event["id"],
                type=event.get("type", "")[:100],
                account=event.get("account") or "",
                livemode=bool(event.get("livemode")),
                payload=event,
            )
    except IntegrityError:
        # The same event delivered twice at once: the first insert wins.
        return StripeWebhookEvent.objects.get(stripe_event_id=event["id"])


def webhook_event_process(row: StripeWebhookEvent, *, force: bool = False) -> bool:
    """Run the event's handler once. Returns False when the handler failed (answer 500).

    The row is claimed with a conditional UPDATE (received/failed -> processing), so duplicate or
    concurrent deliveries of a processed (or in-progress) event do nothing. `force` (admin
    action) runs a processed or ignored event again; handlers are idempotent.
    """
    claimable = [WebhookStatus.RECEIVED, WebhookStatus.FAILED]
    if force:
        claimable += [WebhookStatus.PROCESSED, WebhookStatus.IGNORED]
    handler = HANDLERS.get(row.type)
    if handler is None:
        StripeWebhookEvent.objects.filter(pk=row.pk, status__in=claimable).update(status=WebhookStatus.IGNORED)
        return True
    now = timezone.now()
    claimed = StripeWebhookEvent.objects.filter(pk=row.pk, status__in=claimable).update(
        status=WebhookStatus.PROCESSING, attempts=F("attempts") + 1, processing_started_at=now
    )
    if not claimed:
        return True
    try:
        handler(row.payload)
    except Exception as error:  # any failure is recorded on the row and retried
        logger.exception("webhook %s (%s) failed", row.stripe_event_id, row.type)
        StripeWebhookEvent.objects.filter(pk=row.pk).update(
            status=WebhookStatus.FAILED,
            last_error=f"{type(error).__name__}: {error}\n{traceback.format_exc()}"[-5000:],
        )
        return False
    StripeWebhookEvent.objects.filter(pk=row.pk).update(
        status=WebhookStatus.PROCESSED, processed_at=timezone.now(), last_error=""
    )
    return True


def webhook_events_retry_failed(*, limit: int = 100) -> int:
    """Retry failed events, and events stuck in processing (a worker died). Safe to run twice."""
    stale = timezone.now() - timezone.timedelta(minutes=STALE_PROCESSING_MINUTES)
    StripeWebhookEvent.objects.filter(status=WebhookStatus.PROCESSING, processing_started_at__lt=stale).update(
        status=WebhookStatus.FAILED, last_error="Processing did not finish; retried."
    )
    rows = StripeWebhookEvent.objects.filter(status__in=[WebhookStatus.FAILED, WebhookStatus.RECEIVED]).order_by(
        "received_at", "pk"
    )[:limit]
    return sum(1 for row in rows if webhook_event_process(row))


# --- Handlers: money in -----------------------------------------------------------------------------


def _intent_for(payment_intent_id: str | None, metadata: dict | None) -> StripePaymentIntent | None:
    if payment_intent_id:
        found = StripePaymentIntent.objects.filter(stripe_payment_intent_id=payment_intent_id).first()
        if found:
            return found
    row_id = (metadata or {}).get("intent_row_id")
    if row_id and str(row_id).isdigit():
        return StripePaymentIntent.objects.filter(pk=int(row_id)).first()
    return None


@register(
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.requires_action",
    "payment_intent.processing",
    "charge.succeeded",
)
def payment_changed(event: dict) -> None:
    obj = event["data"]["object"]
    pi_id = obj["id"] if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    intent = _intent_for(pi_id, obj.get("metadata"))
    if intent is None:
        logger.info("%s for unknown payment %s", event["type"], pi_id)
        return
    if intent.stripe_payment_intent_id is None and pi_id:
        StripePaymentIntent.objects.filter(pk=intent.pk, stripe_payment_intent_id__isnull=True).update(
            stripe_payment_intent_id=pi_id
        )
    services.funding_sync(intent=intent)


@register(
    "checkout.session.completed",
    "checkout.session.expired",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
)
def checkout_session_changed(event: dict) -> None:
    obj = event["data"]["object"]
    if obj.get("mode") == "setup":
        customer = BillingCustomer.objects.filter(stripe_customer_id=obj.get("customer")).select_related("user").first()
        if customer is not None and event["type"] == "checkout.session.completed":
            services.payment_method_setup_complete(user=customer.user, session_id=obj["id"])
        return
    intent = StripePaymentIntent.objects.filter(stripe_checkout_session_id=obj["id"]).first() or _intent_for(
        None, obj.get("metadata")
    )
    if intent is not None:
        services.funding_sync(intent=intent)


@register("setup_intent.succeeded")
def setup_intent_succeeded(event: dict) -> None:
    obj = event["data"]["object"]
    customer = BillingCustomer.objects.filter(stripe_customer_id=obj.get("customer")).select_related("user").first()
    if customer is None:
        return
    setup_intent = gateway.setup_intent_retrieve(obj["id"])
    if setup_intent.status == "succeeded" and setup_intent.payment_method_id:
        services.payment_method_store(user=customer.user, stripe_payment_method_id=setup_intent.payment_method_id)


@register("refund.created", "refund.updated", "refund.failed", "charge.refunded")
def refund_changed(event: dict) -> None:
    obj = event["data"]["object"]
    if obj.get("object") == "refund":
        row_id = (obj.get("metadata") or {}).get("refund_row_id")
        rows = AdvertiserCharge.objects.filter(kind=ChargeKind.REFUND, stripe_refund_id=obj["id"])
        if not rows.exists() and row_id and str(row_id).isdigit():
            rows = AdvertiserCharge.objects.filter(kind=ChargeKind.REFUND, pk=int(row_id))
    else:
        rows = AdvertiserCharge.objects.filter(
            kind=ChargeKind.REFUND, stripe_charge_id=obj["id"], status=ChargeStatus.PENDING
        )
    for row in rows:
        services.refund_sync(row)


@register(
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "charge.dispute.closed",
)
def dispute_changed(event: dict) -> None:
    from billing.disputes import dispute_sync

    dispute_sync(stripe_dispute_id=event["data"]["object"]["id"])
