"""Funding a campaign: quotes, PaymentIntents by Checkout or saved card, and their outcome."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from billing import gateway, ledger, notifications
from billing.gateway import GatewayError, GatewayUnavailable, PaymentDeclined, PaymentRequiresAction
from billing.models import (
    AdvertiserCharge,
    BillingCustomer,
    CampaignBudgetAllocation,
    ChargeKind,
    ChargeStatus,
    IntentMethod,
    IntentPurpose,
    IntentStatus,
    PaymentFailure,
    PaymentMethod,
    PlatformFee,
    PlatformFeeKind,
    StripePaymentIntent,
    TransactionKind,
    payment_failure_code,
)
from billing.services.base import (
    ENDED,
    BillingError,
)
from billing.services.budget import bank_payment_processing, campaign_budget_returned
from billing.services.cards import billing_customer_ensure, default_payment_method
from billing.services.quotes import FundingQuote, campaign_fee_terms_fix
from billing.services.refunds import refund_unused_safely
from billing.services.reserve import milestone_fee_reserve_cents
from campaigns import services as campaign_services
from campaigns.models import (
    APPLICATION_TYPES,
    Campaign,
    CampaignStatus,
    CampaignType,
    PromoterCampaign,
    StatusReason,
)

logger = logging.getLogger(__name__)


def _intent_metadata(intent: StripePaymentIntent) -> dict:
    return {
        "campaign_public_id": str(intent.campaign.public_id),
        "intent_row_id": str(intent.pk),
        "intent_public_id": str(intent.public_id),
        "purpose": intent.purpose,
    }


def _intent_description(intent: StripePaymentIntent) -> str:
    kind = "Top-up" if intent.purpose == IntentPurpose.TOP_UP else "Budget"
    return f"{kind} for campaign “{intent.campaign.title}”"[:200]


def _intent_create(*, campaign, actor, quote: FundingQuote, method: str, payment_method=None) -> StripePaymentIntent:
    if actor.pk != campaign.advertiser_id:
        raise BillingError("Only the campaign's advertiser can fund it.")
    _refuse_while_bank_processing(campaign)
    if quote.fee_reserve_cents < milestone_fee_reserve_cents(campaign):
        # A milestone was planned since the quote: paid, its fee would be in no reserve.
        raise BillingError("The milestones changed since this total was worked out: check the new total and pay.")
    campaign_fee_terms_fix(campaign=campaign)
    return StripePaymentIntent.objects.create(
        campaign=campaign,
        advertiser=actor,
        purpose=quote.purpose,
        method=method,
        payment_method=payment_method,
        budget_amount=quote.budget_cents,
        fee_amount=quote.fee_cents,
        fee_reserve_amount=quote.fee_reserve_cents,
        amount=quote.total_cents,
        currency=campaign.currency,
        views_funded=quote.views,
        rate_per_100_views=quote.rate_per_100_views,
        commission_rate=quote.commission_rate,
    )


def _refuse_while_bank_processing(campaign) -> None:
    if bank_payment_processing(campaign):
        # Paying again meanwhile would fund the campaign twice once the bank pays.
        raise BillingError(
            "A bank payment for this campaign is processing. It usually settles within 4 business days; "
            "if it fails, you can pay another way."
        )


def _intent_record(intent: StripePaymentIntent, *, charge_id: str = "", **fields) -> StripePaymentIntent:
    """Record Stripe's answer on the row, unless the row already reached a state it cannot leave
    or the answer is about an attempt (`charge_id`) already recorded as failed."""
    status = fields.get("status")
    with transaction.atomic():
        locked = StripePaymentIntent.objects.select_for_update().get(pk=intent.pk)
        stale = bool(charge_id) and charge_id == locked.failed_charge_id and status != IntentStatus.FAILED
        if status and (stale or not locked.can_move_to(status)):
            fields.pop("status")
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
    for name in ("status", "stripe_payment_intent_id", "stripe_checkout_session_id", "checkout_url"):
        setattr(intent, name, getattr(locked, name))
    intent.failure_reason_code, intent.failure_reason = locked.failure_reason_code, locked.failure_reason
    intent.decline_code = locked.decline_code
    return intent


def _failure(error: GatewayError) -> dict:
    """The fields that record a definitive refusal: Stripe's code (as ours) and its message."""
    return {"failure_reason_code": payment_failure_code(error.code), "failure_reason": error.message[:500]}


def _with_query(url: str, **params) -> str:
    from urllib.parse import urlencode

    separator = "&" if "?" in url else "?"
    query = urlencode(params, safe="{}")
    return f"{url}{separator}{query}"


def funding_checkout_start(*, campaign: Campaign, actor, quote: FundingQuote, return_url: str) -> StripePaymentIntent:
    """Open a Stripe Checkout page (payment mode) for `quote`; the row's `checkout_url` is where
    to send the advertiser. They come back to `return_url?intent=<public id>&session_id=...`."""
    customer = billing_customer_ensure(user=actor)
    intent = _intent_create(campaign=campaign, actor=actor, quote=quote, method=IntentMethod.CHECKOUT)
    try:
        session = gateway.checkout_payment_session_create(
            customer_id=customer.stripe_customer_id,
            amount=intent.amount,
            currency=intent.currency,
            description=_intent_description(intent),
            success_url=_with_query(return_url, intent=intent.public_id, session_id="{CHECKOUT_SESSION_ID}"),
            cancel_url=_with_query(return_url, intent=intent.public_id, cancelled=1),
            transfer_group=intent.transfer_group,
            metadata=_intent_metadata(intent),
            idempotency_key=f"checkout-create-{intent.pk}",
        )
    except GatewayUnavailable:
        raise
    except GatewayError as error:
        _intent_record(intent, status=IntentStatus.FAILED, **_failure(error))
        raise
    return _intent_record(
        intent, status=IntentStatus.OPEN, stripe_checkout_session_id=session.id, checkout_url=session.url
    )


def funding_pay_with_card(*, campaign: Campaign, actor, quote: FundingQuote) -> StripePaymentIntent:
    """Pay `quote` now with the advertiser's default card (on-session, confirmed at once).

    Returns the row (SUCCEEDED, with the allocation made); raises PaymentDeclined (Stripe's
    reason), PaymentRequiresAction (`redirect_url` for 3D Secure) or GatewayUnavailable. After
    GatewayUnavailable the row stays pending and the next attempt for the same amount and card
    reuses it, and so its idempotency key: a payment that went through is never made twice.
    """
    card = default_payment_method(actor)
    if card is None:
        raise BillingError("Add a card first, or pay on the secure payment page.")
    # Before reusing a pending row too: it was made before the bank payment started.
    _refuse_while_bank_processing(campaign)
    customer = billing_customer_ensure(user=actor)
    intent = (
        StripePaymentIntent.objects.filter(
            campaign=campaign,
            advertiser=actor,
            method=IntentMethod.SAVED_CARD,
            status=IntentStatus.PENDING,
            payment_method=card,
            amount=quote.total_cents,
            budget_amount=quote.budget_cents,
            purpose=quote.purpose,
            created_at__gte=timezone.now() - timezone.timedelta(hours=12),
        )
        .order_by("-pk")
        .first()
    )
    if intent is None:
        intent = _intent_create(
            campaign=campaign, actor=actor, quote=quote, method=IntentMethod.SAVED_CARD, payment_method=card
        )
    return funding_card_send(intent=intent, customer_id=customer.stripe_customer_id)


def _card_return_url(intent: StripePaymentIntent) -> str:
    # Derived from the row alone: a re-sent request must carry exactly the same parameters as the
    # first one, or Stripe refuses the reused idempotency key.
    path = reverse("billing:fund_return", args=[intent.campaign.public_id])
    return f"{settings.SITE_URL}{path}?intent={intent.public_id}"


def funding_card_send(*, intent: StripePaymentIntent, customer_id: str) -> StripePaymentIntent:
    """Send (or re-send, same key) the saved-card payment for a pending row and record the answer."""
    try:
        pi = gateway.payment_intent_create(
            amount=intent.amount,
            currency=intent.currency,
            customer_id=customer_id,
            payment_method_id=intent.payment_method.stripe_payment_method_id,
            description=_intent_description(intent),
            transfer_group=intent.transfer_group,
            metadata=_intent_metadata(intent),
            return_url=_card_return_url(intent),
            idempotency_key=f"pi-create-{intent.pk}",
        )
    except PaymentDeclined as error:
        _intent_record(
            intent,
            status=IntentStatus.FAILED,
            **_failure(error),
            decline_code=error.decline_code[:60],
            stripe_payment_intent_id=error.payment_intent_id or intent.stripe_payment_intent_id,
        )
        raise
    except PaymentRequiresAction as error:
        _intent_record(
            intent,
            status=IntentStatus.REQUIRES_ACTION,
            **_failure(error),
            stripe_payment_intent_id=error.payment_intent_id or intent.stripe_payment_intent_id,
        )
        raise
    except GatewayUnavailable:
        raise
    except GatewayError as error:
        _intent_record(intent, status=IntentStatus.FAILED, **_failure(error))
        raise
    intent = _intent_record(intent, stripe_payment_intent_id=pi.id)
    intent = funding_apply(intent=intent, pi=pi)
    if intent.status == IntentStatus.REQUIRES_ACTION:
        raise PaymentRequiresAction(
            "Your bank asks you to confirm this payment.", redirect_url=pi.redirect_url, payment_intent_id=pi.id
        )
    return intent


def funding_sync(*, intent: StripePaymentIntent) -> StripePaymentIntent:
    """Re-read the payment from Stripe and record it (return pages, webhooks, reconciliation)."""
    intent.refresh_from_db()
    if intent.status == IntentStatus.SUCCEEDED:
        return intent
    pi_id = intent.stripe_payment_intent_id
    if not pi_id and intent.stripe_checkout_session_id:
        session = gateway.checkout_session_retrieve(intent.stripe_checkout_session_id)
        pi_id = session.payment_intent_id
        if not pi_id:
            if session.status == "expired":
                return _intent_record(
                    intent, status=IntentStatus.CANCELED, failure_reason_code=PaymentFailure.CHECKOUT_EXPIRED
                )
            return intent
        intent = _intent_record(intent, stripe_payment_intent_id=pi_id)
    if not pi_id:
        if intent.method == IntentMethod.SAVED_CARD and intent.status == IntentStatus.PENDING and intent.payment_method:
            # Stripe may or may not have the payment (timeout): the same key tells us which.
            customer = BillingCustomer.objects.get(user_id=intent.advertiser_id)
            try:
                return funding_card_send(intent=intent, customer_id=customer.stripe_customer_id)
            except (PaymentDeclined, PaymentRequiresAction):
                intent.refresh_from_db()
                return intent
        return intent
    return funding_apply(intent=intent, pi=gateway.payment_intent_retrieve(pi_id))


def funding_apply(*, intent: StripePaymentIntent, pi: gateway.PaymentIntent) -> StripePaymentIntent:
    """Record a PaymentIntent's current state on our row; on success, allocate the budget."""
    if pi.metadata.get("intent_row_id") not in (None, str(intent.pk)) or pi.amount != intent.amount:
        logger.error("Stripe PaymentIntent %s does not match local intent %s", pi.id, intent.pk)
        raise GatewayError("The payment does not match this campaign's funding.")
    if pi.status == "succeeded":
        charge = gateway.charge_retrieve(pi.latest_charge_id)
        funding_record_success(intent=intent, pi=pi, charge=charge)
        intent.refresh_from_db()
        return intent
    if pi.status == "requires_action":
        return _intent_record(
            intent, status=IntentStatus.REQUIRES_ACTION, stripe_payment_intent_id=pi.id, charge_id=pi.latest_charge_id
        )
    if pi.status == "canceled":
        return _intent_record(intent, status=IntentStatus.CANCELED, stripe_payment_intent_id=pi.id)
    if pi.status == "processing":
        # A bank debit: no money until the bank pays, so nothing is allocated or spendable.
        intent = _intent_record(
            intent, status=IntentStatus.PROCESSING, stripe_payment_intent_id=pi.id, charge_id=pi.latest_charge_id
        )
        if intent.status == IntentStatus.PROCESSING:
            _other_payment_pages_close(intent)
        return intent
    if pi.status == "requires_payment_method" and pi.failure_message:
        was_processing = intent.status == IntentStatus.PROCESSING
        intent = _intent_record(
            intent,
            status=IntentStatus.FAILED,
            stripe_payment_intent_id=pi.id,
            failure_reason_code=payment_failure_code(pi.decline_code),
            failure_reason=pi.failure_message[:500],
            decline_code=pi.decline_code[:60],
            failed_charge_id=pi.latest_charge_id or "",
        )
        if was_processing and intent.status == IntentStatus.FAILED:
            notifications.bank_payment_failed(intent=intent)
        return intent
    return _intent_record(
        intent, status=IntentStatus.OPEN, stripe_payment_intent_id=pi.id, charge_id=pi.latest_charge_id
    )


def _open_payment_pages(campaign):
    return campaign.payment_intents.filter(
        method=IntentMethod.CHECKOUT, status=IntentStatus.OPEN, stripe_checkout_session_id__isnull=False
    )


def _other_payment_pages_close(processing: StripePaymentIntent) -> None:
    """Expire the campaign's other open payment pages once a bank payment is on its way: paid
    later, a page left open in another tab would fund the campaign twice. A page paid just
    before Stripe could expire it is recorded as what it is, a payment (a top-up)."""
    _payment_pages_close(
        _open_payment_pages(processing.campaign).exclude(pk=processing.pk),
        code=PaymentFailure.OTHER_PAYMENT_PROCESSING,
        note="A bank payment for this campaign is processing.",
    )


def stale_payment_pages_close(*, campaign_id: int) -> None:
    """After a milestone is planned (on commit, no lock held): expire the campaign's open payment
    pages quoted for fewer milestones, whose fee reserve would leave a milestone's fee unpaid. The
    advertiser pays again with the new total; a page paid meanwhile is recorded as paid."""
    campaign = Campaign.objects.get(pk=campaign_id)
    needed = milestone_fee_reserve_cents(campaign)
    _payment_pages_close(
        _open_payment_pages(campaign).filter(fee_reserve_amount__lt=needed),
        code=PaymentFailure.OTHER,
        note="The milestones changed after this payment page was opened: pay again with the new total.",
    )


def _payment_pages_close(pages, *, code: str, note: str) -> None:
    for page in pages:
        try:
            gateway.checkout_session_expire(page.stripe_checkout_session_id)
        except GatewayUnavailable:
            continue  # still open: the reconciliation or its own webhook settles it later
        except GatewayError:
            _page_settle_quietly(page)  # no longer open at Stripe: paid or expired already
            continue
        _intent_record(page, status=IntentStatus.CANCELED, failure_reason_code=code, failure_reason=note)


def _page_settle_quietly(page: StripePaymentIntent) -> None:
    """Record what became of a payment page Stripe would not close; a failure here must not turn
    what closed it (a bank payment, a planned milestone) into an error for the advertiser: the
    reconciliation reads it later."""
    try:
        funding_sync(intent=page)
    except GatewayError as error:
        logger.warning("payment page %s not re-read while closing it: %s", page.pk, error)


def funding_record_success(
    *, intent: StripePaymentIntent, pi: gateway.PaymentIntent, charge: gateway.Charge
) -> CampaignBudgetAllocation:
    # Long on purpose: one transaction that allocates, posts and activates in the lock order; split, a
    # step could commit alone.
    """The money arrived: allocate the budget once, post the ledger, record the charge and
    Stripe's fee, and activate (or extend) the campaign. Idempotent (one allocation per intent)."""
    ended = False
    with transaction.atomic(durable=True):
        campaign = Campaign.objects.select_for_update().get(pk=intent.campaign_id)
        locked = StripePaymentIntent.objects.select_for_update().get(pk=intent.pk)
        existing = CampaignBudgetAllocation.objects.filter(payment_intent=locked).first()
        if existing:
            return existing
        # The milestone fee reserve goes into the budget with the agreed amount: each milestone
        # payment takes its fixed fee from the budget (campaign_budget_spend), and what is left
        # unused is refunded with it.
        into_budget = locked.budget_amount + locked.fee_reserve_amount
        allocation = CampaignBudgetAllocation.objects.create(
            campaign=campaign,
            payment_intent=locked,
            allocated_amount=into_budget,
            fee_reserve_amount=locked.fee_reserve_amount,
            fee_amount=locked.fee_amount,
            currency=locked.currency,
            views_funded=locked.views_funded,
            rate_per_100_views=locked.rate_per_100_views,
            commission_rate=locked.commission_rate,
        )
        card = PaymentMethod.objects.filter(stripe_payment_method_id=charge.payment_method_id).first()
        label = f"{charge.card_brand.title()} •••• {charge.card_last4}" if charge.card_last4 else ""
        charge_row = AdvertiserCharge.objects.create(
            kind=ChargeKind.CHARGE,
            advertiser_id=locked.advertiser_id,
            campaign=campaign,
            payment_intent=locked,
            payment_method=card,
            payment_method_label=label[:60],
            status=ChargeStatus.SUCCEEDED,
            amount=locked.amount,
            budget_amount=locked.budget_amount,
            fee_amount=locked.fee_amount,
            fee_reserve_amount=locked.fee_reserve_amount,
            currency=locked.currency,
            stripe_fee_amount=charge.stripe_fee,
            stripe_charge_id=charge.id,
            receipt_url=charge.receipt_url[:1000],
        )
        external = ledger.external(locked.currency)
        # Every account this funding posts to, locked at once in pk order (one lock round).
        ledger.accounts_lock(
            external,
            ledger.campaign_budget(campaign),
            ledger.campaign_fee_held(campaign),
            ledger.stripe_fees(locked.currency),
        )
        ledger.ledger_post(
            kind=TransactionKind.FUNDING,
            legs=ledger.legs_into_campaign(campaign, budget=into_budget, fee=locked.fee_amount),
            idempotency_key=f"funding-{locked.pk}",
            memo=f"{locked.get_purpose_display()} via {pi.id}",
        )
        if charge.stripe_fee:
            rows = ledger.ledger_post(
                kind=TransactionKind.STRIPE_FEE,
                legs=[ledger.Leg(ledger.stripe_fees(locked.currency), external, charge.stripe_fee)],
                idempotency_key=f"stripe-fee-{locked.pk}",
                memo=f"Stripe fee on {charge.id}",
            )
            PlatformFee.objects.create(
                kind=PlatformFeeKind.STRIPE_PROCESSING,
                campaign=campaign,
                transaction=rows[0],
                charge=charge_row,
                amount=charge.stripe_fee,
                currency=locked.currency,
            )
        locked.status = IntentStatus.SUCCEEDED
        locked.stripe_payment_intent_id = pi.id
        locked.failure_reason_code = locked.failure_reason = locked.decline_code = ""
        locked.save()
        if campaign.campaign_type in APPLICATION_TYPES:
            PromoterCampaign.objects.filter(campaign=campaign, agreed_amount__isnull=False).update(
                budget_held=F("budget_held") + locked.budget_amount
            )
        if locked.views_funded and campaign.status != CampaignStatus.AWAITING_FUNDING:
            # A top-up (or a second funding page paid after the first): it buys more views.
            # No campaigns service raises max_views; this narrow conditional update is the only
            # writer outside campaign editing (drafts only), and the view cap check reads it.
            Campaign.objects.filter(pk=campaign.pk, campaign_type=CampaignType.VISIBILITY).update(
                max_views=F("max_views") + locked.views_funded, updated_at=timezone.now()
            )
        if campaign.status == CampaignStatus.AWAITING_FUNDING:
            campaign_services.campaign_activate(campaign=campaign, code=StatusReason.FUNDED)
        else:
            campaign_budget_returned(campaign=campaign, code=StatusReason.BUDGET_TOPPED_UP)
        ended = campaign.status in ENDED
    if ended:
        # Paid after the campaign ended (a Checkout page left open): give the money back.
        refund_unused_safely(campaign=campaign, actor=None)
    return allocation


def funding_for_return(*, user, intent_public_id) -> StripePaymentIntent:
    intent = (
        StripePaymentIntent.objects.select_related("campaign")
        .filter(public_id=intent_public_id, advertiser=user)
        .first()
    )
    if intent is None:
        raise BillingError("That payment was not found.")
    return funding_sync(intent=intent)
