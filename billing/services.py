"""Money in: Stripe customers and cards, campaign funding, budget spending, fees and refunds.

Lock order, everywhere (same as campaigns.services): campaign row, then the campaign's budget
allocations (pk order), then ledger accounts (pk order, inside `ledger`). No Stripe call is made
inside a transaction: write a pending row and commit, call Stripe with a key derived from that
row, record the answer in a second short transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from billing import forecasts, gateway, ledger, limits, notifications
from billing.gateway import GatewayError, GatewayUnavailable, PaymentDeclined, PaymentRequiresAction
from billing.models import (
    AccountKind,
    AdvertiserCharge,
    AdvertiserSpend,
    BillingCustomer,
    CampaignBudgetAllocation,
    ChargeKind,
    ChargeStatus,
    IntentMethod,
    IntentPurpose,
    IntentStatus,
    LedgerAccount,
    PaymentMethod,
    PlatformFee,
    PlatformFeeKind,
    StripePaymentIntent,
    Transaction,
    TransactionKind,
)
from campaignplatform.money import dollars
from campaigns import services as campaign_services
from campaigns.models import (
    APPLICATION_TYPES,
    MAX_BUDGET_CENTS,
    MAX_VIEWS,
    Campaign,
    CampaignStatus,
    CampaignStatusChange,
    CampaignType,
    PromoterCampaign,
)

__all__ = [
    "BillingError",
    "BudgetExhausted",
    "FundingNotAllowed",
    "GatewayError",
    "GatewayUnavailable",
    "PaymentDeclined",
    "PaymentRequiresAction",
    "SpendResult",
    "campaign_budget_remaining",
    "campaign_budget_returned",
    "campaign_budget_spend",
]

logger = logging.getLogger(__name__)

BUDGET_USED_UP = "budget used up"
SALESMAN_MIN_BUDGET_CENTS = 2000
STRIPE_MINIMUM_CENTS = limits.MINIMUM_CHARGE["usd"]
ENDED = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)
# Spending a Salesman or Visibility campaign's last cent pauses it; Consultant/Seller budgets are
# the agreed amount and end with the work.
SELF_PAUSING_TYPES = (CampaignType.SALESMAN, CampaignType.VISIBILITY)


class BillingError(Exception):
    """A domain error whose message the user can act on."""


class FundingNotAllowed(BillingError):
    pass


class BudgetExhausted(Exception):
    """The campaign's budget cannot cover a spend. Nothing was spent."""

    def __init__(self, remaining_cents: int):
        self.remaining_cents = remaining_cents
        super().__init__(f"The campaign budget has {remaining_cents} cents left.")


def platform_fee_cents(budget_cents: int) -> int:
    """PLATFORM_FEE_PERCENT of the budget, rounded half up to the cent (integers only)."""
    return limits.fee_cents(budget_cents)


# --- Stripe customer and payment methods ---------------------------------------------------------


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
    """Store a card from Stripe's current data; the first card becomes the default. Idempotent."""
    existing = PaymentMethod.objects.filter(stripe_payment_method_id=stripe_payment_method_id).first()
    if existing:
        return existing
    card = gateway.payment_method_retrieve(stripe_payment_method_id)
    fields = {
        "user": user,
        "stripe_payment_method_id": card.id,
        "brand": card.brand,
        "last4": card.last4,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
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


# --- Funding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingQuote:
    """What the advertiser pays, itemised, before paying it."""

    purpose: str
    budget_cents: int
    fee_cents: int
    total_cents: int
    fee_percent: int
    views: int | None = None
    rate_per_100_views: int | None = None
    commission_rate: Decimal | None = None
    budget_label: str = "Budget"


def funding_purpose(campaign: Campaign) -> str | None:
    """FUNDING while awaiting funding, TOP_UP for a live Salesman/Visibility campaign, else None."""
    if campaign.status == CampaignStatus.AWAITING_FUNDING:
        return IntentPurpose.FUNDING
    if campaign.status in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED) and campaign.campaign_type in (
        CampaignType.SALESMAN,
        CampaignType.VISIBILITY,
    ):
        return IntentPurpose.TOP_UP
    return None


def funding_quote(*, campaign: Campaign, budget_cents: int | None = None, views: int | None = None) -> FundingQuote:
    """The budget by campaign type, the platform fee on top, the total. Raises FundingNotAllowed."""
    purpose = funding_purpose(campaign)
    if purpose is None:
        raise FundingNotAllowed(f"A campaign that is {campaign.get_status_display().lower()} cannot be funded.")
    extra = {}
    if campaign.campaign_type == CampaignType.VISIBILITY:
        if purpose == IntentPurpose.FUNDING:
            views = campaign.max_views
        elif not views or views <= 0:
            raise FundingNotAllowed("Enter how many more views to buy.")
        elif campaign.max_views + views > MAX_VIEWS:
            raise FundingNotAllowed(f"A campaign can have at most {MAX_VIEWS:,} views.")
        budget = campaign.cpv * views // 100
        extra = {
            "views": views,
            "rate_per_100_views": campaign.cpv,
            "budget_label": f"{views:,} views at {dollars(campaign.cpv)} per 100",
        }
    elif campaign.campaign_type in APPLICATION_TYPES:
        agreed = (
            PromoterCampaign.objects.filter(campaign=campaign, agreed_amount__isnull=False)
            .values_list("agreed_amount", flat=True)
            .first()
        )
        if agreed is None:
            raise FundingNotAllowed("Accept an application first: you fund the amount you agreed with the promoter.")
        budget = agreed
        extra = {"budget_label": "Agreed amount"}
    else:
        if budget_cents is None or budget_cents < SALESMAN_MIN_BUDGET_CENTS:
            raise FundingNotAllowed(f"The commission budget must be at least {dollars(SALESMAN_MIN_BUDGET_CENTS)}.")
        if budget_cents > MAX_BUDGET_CENTS:
            raise FundingNotAllowed(f"The commission budget can be at most {dollars(MAX_BUDGET_CENTS)}.")
        budget = budget_cents
        extra = {"commission_rate": campaign.commission_per_sale, "budget_label": "Commission budget"}
    fee = platform_fee_cents(budget)
    if budget <= 0 or budget + fee < STRIPE_MINIMUM_CENTS:
        raise FundingNotAllowed(f"The amount to pay must be at least {dollars(STRIPE_MINIMUM_CENTS)}.")
    if budget + fee > limits.MAXIMUM_AMOUNT:
        later = {
            CampaignType.SALESMAN: " Fund part of it now and top up the rest later.",
            CampaignType.VISIBILITY: " Buy fewer views now and more later." if purpose == IntentPurpose.TOP_UP else "",
        }.get(campaign.campaign_type, "")
        raise FundingNotAllowed(
            f"This payment would be {dollars(budget + fee)}. {limits.too_large_for_one_payment_message()}{later}"
        )
    return FundingQuote(
        purpose=purpose,
        budget_cents=budget,
        fee_cents=fee,
        total_cents=budget + fee,
        fee_percent=settings.PLATFORM_FEE_PERCENT,
        **extra,
    )


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
    return StripePaymentIntent.objects.create(
        campaign=campaign,
        advertiser=actor,
        purpose=quote.purpose,
        method=method,
        payment_method=payment_method,
        budget_amount=quote.budget_cents,
        fee_amount=quote.fee_cents,
        amount=quote.total_cents,
        currency=campaign.currency,
        views_funded=quote.views,
        rate_per_100_views=quote.rate_per_100_views,
        commission_rate=quote.commission_rate,
    )


def _intent_record(intent: StripePaymentIntent, **fields) -> StripePaymentIntent:
    """Record Stripe's answer on the row, unless the row already reached a state it cannot leave."""
    status = fields.get("status")
    with transaction.atomic():
        locked = StripePaymentIntent.objects.select_for_update().get(pk=intent.pk)
        if status and not locked.can_move_to(status):
            fields.pop("status")
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
    for name in ("status", "stripe_payment_intent_id", "stripe_checkout_session_id", "checkout_url"):
        setattr(intent, name, getattr(locked, name))
    intent.failure_reason, intent.decline_code = locked.failure_reason, locked.decline_code
    return intent


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
        _intent_record(intent, status=IntentStatus.FAILED, failure_reason=error.message[:500])
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
            failure_reason=error.message[:500],
            decline_code=error.decline_code[:60],
            stripe_payment_intent_id=error.payment_intent_id or intent.stripe_payment_intent_id,
        )
        raise
    except PaymentRequiresAction as error:
        _intent_record(
            intent,
            status=IntentStatus.REQUIRES_ACTION,
            failure_reason=error.message[:500],
            stripe_payment_intent_id=error.payment_intent_id or intent.stripe_payment_intent_id,
        )
        raise
    except GatewayUnavailable:
        raise
    except GatewayError as error:
        _intent_record(intent, status=IntentStatus.FAILED, failure_reason=error.message[:500])
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
                return _intent_record(intent, status=IntentStatus.CANCELED, failure_reason="The payment page expired.")
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
        return _intent_record(intent, status=IntentStatus.REQUIRES_ACTION, stripe_payment_intent_id=pi.id)
    if pi.status == "canceled":
        return _intent_record(intent, status=IntentStatus.CANCELED, stripe_payment_intent_id=pi.id)
    if pi.status == "requires_payment_method" and pi.failure_message:
        return _intent_record(
            intent,
            status=IntentStatus.FAILED,
            stripe_payment_intent_id=pi.id,
            failure_reason=pi.failure_message[:500],
            decline_code=pi.decline_code[:60],
        )
    return _intent_record(intent, status=IntentStatus.OPEN, stripe_payment_intent_id=pi.id)


def funding_record_success(
    *, intent: StripePaymentIntent, pi: gateway.PaymentIntent, charge: gateway.Charge
) -> CampaignBudgetAllocation:
    """The money arrived: allocate the budget once, post the ledger, record the charge and
    Stripe's fee, and activate (or extend) the campaign. Idempotent (one allocation per intent)."""
    ended = False
    with transaction.atomic(durable=True):
        campaign = Campaign.objects.select_for_update().get(pk=intent.campaign_id)
        locked = StripePaymentIntent.objects.select_for_update().get(pk=intent.pk)
        existing = CampaignBudgetAllocation.objects.filter(payment_intent=locked).first()
        if existing:
            return existing
        allocation = CampaignBudgetAllocation.objects.create(
            campaign=campaign,
            payment_intent=locked,
            allocated_amount=locked.budget_amount,
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
            legs=[
                ledger.Leg(external, ledger.campaign_budget(campaign), locked.budget_amount),
                ledger.Leg(external, ledger.campaign_fee_held(campaign), locked.fee_amount),
            ],
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
        locked.failure_reason = locked.decline_code = ""
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
            campaign_services.campaign_activate(campaign=campaign, reason="funded")
        else:
            campaign_budget_returned(campaign=campaign, reason="budget topped up")
        ended = campaign.status in ENDED
    if ended:
        # Paid after the campaign ended (a Checkout page left open): give the money back.
        refund_unused_safely(campaign=campaign, actor=None)
    return allocation


def campaign_budget_returned(*, campaign, reason: str) -> None:
    """Budget came back to a live campaign (a top-up, or the commission of a sale refunded before
    payout): resume it if it was paused only because its budget ran out, and pay the Salesman
    sales that were verified meanwhile and wait as "awaiting budget" (a task, after commit).
    Call inside the transaction that returned the budget, with the campaign row locked."""
    if campaign.status == CampaignStatus.PAUSED and paused_for(campaign, BUDGET_USED_UP):
        campaign_services.campaign_resume(campaign=campaign, reason=reason)
    if campaign.campaign_type == CampaignType.SALESMAN and campaign.status not in ENDED:
        transaction.on_commit(lambda: async_task("tracking.tasks.pay_awaiting_sales", campaign.pk))


def paused_for(campaign, reason: str) -> bool:
    """Whether the campaign's last status change paused it for `reason`."""
    last = CampaignStatusChange.objects.filter(campaign=campaign).order_by("-created_at", "-id").first()
    return last is not None and last.to_status == CampaignStatus.PAUSED and last.reason == reason


def funding_for_return(*, user, intent_public_id) -> StripePaymentIntent:
    intent = (
        StripePaymentIntent.objects.select_related("campaign")
        .filter(public_id=intent_public_id, advertiser=user)
        .first()
    )
    if intent is None:
        raise BillingError("That payment was not found.")
    return funding_sync(intent=intent)


def payment_intents_reconcile(*, older_than_minutes: int = 5, limit: int = 100) -> int:
    """Re-read payments left unsettled (crash between steps, lost webhook). Safe to run twice."""
    cutoff = timezone.now() - timezone.timedelta(minutes=older_than_minutes)
    since = timezone.now() - timezone.timedelta(days=2)
    rows = StripePaymentIntent.objects.filter(
        status__in=[IntentStatus.PENDING, IntentStatus.OPEN, IntentStatus.REQUIRES_ACTION],
        updated_at__lte=cutoff,
        created_at__gte=since,
    ).order_by("pk")[:limit]
    done = 0
    for intent in rows:
        try:
            funding_sync(intent=intent)
            done += 1
        except GatewayError as error:
            logger.warning("reconcile of intent %s failed: %s", intent.pk, error)
    return done


# --- Budget control: the contract tracking and payouts code against ---------------------------


@dataclass(frozen=True)
class SpendResult:
    spent_cents: int
    fee_cents: int


def campaign_budget_remaining(campaign) -> int:
    """Cents left to spend in the campaign's budget (what its ledger account holds)."""
    balance = (
        LedgerAccount.objects.filter(kind=AccountKind.CAMPAIGN_BUDGET, campaign_id=campaign.pk)
        .values_list("balance", flat=True)
        .first()
    )
    return balance or 0


def _fee_recognised(fee_account, revenue_account) -> int:
    """Fee recognised so far: moved to revenue, less what reversed spends gave back."""

    def moved(source, destination):
        rows = Transaction.objects.filter(source=source, destination=destination)
        return rows.aggregate(total=Sum("amount"))["total"] or 0

    return moved(fee_account, revenue_account) - moved(revenue_account, fee_account)


def campaign_budget_spend(
    *,
    campaign,
    promoter,
    amount_cents: int,
    idempotency_key: str,
    destination: str = "pending",
    memo: str = "",
) -> SpendResult:
    """Move `amount_cents` of the campaign's budget to the promoter, and its fee share to revenue.

    Call inside the caller's `transaction.atomic()`. All or nothing: raises BudgetExhausted
    (`.remaining_cents`) when the budget cannot cover the whole amount. The same
    `idempotency_key` again returns the first call's result and moves nothing.
    `destination`: "pending" (promoter_pending: views, sales) or "direct" (promoter_direct:
    Consultant/Seller milestones). The fee recognised after a spend is
    floor(total spent x total fee funded / total budget funded), all of what is held once the
    budget is used up, so no cent is lost to rounding.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("campaign_budget_spend must run inside the caller's transaction.atomic().")
    if type(amount_cents) is not int or amount_cents <= 0:
        raise ValueError(f"A spend is a positive integer number of cents, not {amount_cents!r}.")
    if destination not in ("pending", "direct"):
        raise ValueError("destination is 'pending' or 'direct'.")
    spend_key, fee_key = f"spend:{idempotency_key}", f"spend-fee:{idempotency_key}"

    locked_campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    replay = list(Transaction.objects.filter(idempotency_key__in=[spend_key, fee_key]))
    if replay:
        return SpendResult(
            spent_cents=sum(row.amount for row in replay if row.idempotency_key == spend_key),
            fee_cents=sum(row.amount for row in replay if row.idempotency_key == fee_key),
        )

    currency = locked_campaign.currency
    budget = ledger.campaign_budget(locked_campaign)
    fee_held = ledger.campaign_fee_held(locked_campaign)
    revenue = ledger.platform_revenue(currency)
    target = (ledger.promoter_pending if destination == "pending" else ledger.promoter_direct)(promoter, currency)
    allocations = list(
        CampaignBudgetAllocation.objects.select_for_update().filter(campaign=locked_campaign).order_by("pk")
    )
    locked = ledger.accounts_lock(budget, fee_held, revenue, target)
    available = locked[budget.pk].balance
    if available < amount_cents:
        raise BudgetExhausted(available)

    total_budget = sum(a.allocated_amount for a in allocations)
    total_fee = sum(a.fee_amount for a in allocations)
    spent_after = sum(a.spent_amount for a in allocations) + amount_cents
    fee_held_now = locked[fee_held.pk].balance
    if available == amount_cents:
        fee_share = fee_held_now
    else:
        due = spent_after * total_fee // total_budget if total_budget else 0
        fee_share = max(0, min(due - _fee_recognised(fee_held, revenue), fee_held_now))

    # Oldest allocation first; the CHECK constraint backs spent <= allocated.
    left = amount_cents
    for allocation in allocations:
        take = min(allocation.remaining_amount, left)
        if take > 0:
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(spent_amount=F("spent_amount") + take)
            left -= take
        if not left:
            break
    if left:
        raise RuntimeError(f"Campaign {campaign.pk}: allocations hold less than its budget account; run audit_ledger.")

    try:
        ledger.ledger_post(
            kind=TransactionKind.SPEND,
            legs=[ledger.Leg(budget, target, amount_cents)],
            idempotency_key=spend_key,
            memo=memo,
        )
        fee_rows = ledger.ledger_post(
            kind=TransactionKind.FEE_RECOGNISED,
            legs=[ledger.Leg(fee_held, revenue, fee_share)],
            idempotency_key=fee_key,
            memo=memo,
        )
    except ledger.InsufficientFunds as error:
        raise BudgetExhausted(campaign_budget_remaining(locked_campaign)) from error
    if fee_rows:
        PlatformFee.objects.create(
            kind=PlatformFeeKind.RECOGNISED,
            campaign=locked_campaign,
            transaction=fee_rows[0],
            amount=fee_share,
            currency=currency,
        )
    _advertiser_spend_add(locked_campaign, amount_cents, fee_share)
    forecasts.campaign_forecast_refresh(campaign=locked_campaign)
    PromoterCampaign.objects.filter(campaign=locked_campaign, promoter=promoter).update(
        spent_budget=F("spent_budget") + amount_cents
    )
    if (
        available == amount_cents
        and locked_campaign.campaign_type in SELF_PAUSING_TYPES
        and locked_campaign.status == CampaignStatus.ACTIVE
    ):
        campaign_services.campaign_pause(campaign=locked_campaign, reason=BUDGET_USED_UP)
    campaign.status = locked_campaign.status
    return SpendResult(spent_cents=amount_cents, fee_cents=fee_share)


def campaign_budget_spend_reverse(
    *, campaign, promoter, spend_idempotency_key: str, idempotency_key: str, memo: str = ""
) -> SpendResult:
    """Undo one earlier spend (a sale refunded before payout): the earning goes back from the
    promoter to the campaign budget, and its fee share from revenue back to the fee held.

    Call inside the caller's `transaction.atomic()`. Posts once per `idempotency_key` (a replay
    returns the first result). Raises `ledger.InsufficientFunds` when the promoter's balance no
    longer holds the earning (it was released or paid out: record a deduction instead), and
    ValueError when there is no such spend. The allocations give back newest first (spends
    take oldest first), and the day's `advertiser_spends` row of the original spend shrinks.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("campaign_budget_spend_reverse must run inside the caller's transaction.atomic().")
    reverse_key, reverse_fee_key = f"spend-reverse:{idempotency_key}", f"spend-reverse-fee:{idempotency_key}"
    locked_campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    replay = list(Transaction.objects.filter(idempotency_key__in=[reverse_key, reverse_fee_key]))
    if replay:
        return SpendResult(
            spent_cents=-sum(row.amount for row in replay if row.idempotency_key == reverse_key),
            fee_cents=-sum(row.amount for row in replay if row.idempotency_key == reverse_fee_key),
        )
    spend = Transaction.objects.filter(idempotency_key=f"spend:{spend_idempotency_key}").select_related(
        "source", "destination"
    )
    spend = spend.first()
    if spend is None or spend.source.campaign_id != locked_campaign.pk or spend.destination.user_id != promoter.pk:
        raise ValueError(f"No spend {spend_idempotency_key!r} of this campaign to this promoter.")
    fee = Transaction.objects.filter(idempotency_key=f"spend-fee:{spend_idempotency_key}").first()
    fee_amount = fee.amount if fee else 0

    allocations = list(
        CampaignBudgetAllocation.objects.select_for_update().filter(campaign=locked_campaign).order_by("-pk")
    )
    budget, fee_held = ledger.campaign_budget(locked_campaign), ledger.campaign_fee_held(locked_campaign)
    revenue = ledger.platform_revenue(locked_campaign.currency)
    ledger.accounts_lock(budget, fee_held, revenue, spend.destination)
    ledger.ledger_post(
        kind=TransactionKind.SPEND_REVERSAL,
        legs=[ledger.Leg(spend.destination, budget, spend.amount)],
        idempotency_key=reverse_key,
        memo=memo,
    )
    fee_rows = ledger.ledger_post(
        kind=TransactionKind.SPEND_REVERSAL,
        legs=[ledger.Leg(revenue, fee_held, fee_amount)],
        idempotency_key=reverse_fee_key,
        memo=memo,
    )
    if fee_rows:
        PlatformFee.objects.create(
            kind=PlatformFeeKind.REVERSED,
            campaign=locked_campaign,
            transaction=fee_rows[0],
            amount=fee_amount,
            currency=locked_campaign.currency,
        )
    left = spend.amount
    for allocation in allocations:
        give_back = min(allocation.spent_amount, left)
        if give_back > 0:
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(spent_amount=F("spent_amount") - give_back)
            left -= give_back
        if not left:
            break
    day = timezone.localdate(spend.created_at)
    AdvertiserSpend.objects.filter(
        advertiser_id=locked_campaign.advertiser_id, campaign=locked_campaign, date=day
    ).update(amount_spent=F("amount_spent") - spend.amount, fee_amount=F("fee_amount") - fee_amount)
    PromoterCampaign.objects.filter(campaign=locked_campaign, promoter=promoter).update(
        spent_budget=F("spent_budget") - spend.amount
    )
    if locked_campaign.status in ENDED:
        # Nobody can spend it any more: it goes back to the advertiser.
        transaction.on_commit(lambda: async_task("billing.tasks.campaign_refund_unused", locked_campaign.pk))
    return SpendResult(spent_cents=-spend.amount, fee_cents=-fee_amount)


def _advertiser_spend_add(campaign, amount: int, fee: int) -> None:
    """Upsert-increment today's row; the UPDATE with F() never loses a concurrent increment."""
    lookup = {"advertiser_id": campaign.advertiser_id, "campaign": campaign, "date": timezone.localdate()}
    increment = {
        "amount_spent": F("amount_spent") + amount,
        "fee_amount": F("fee_amount") + fee,
        "spend_count": F("spend_count") + 1,
    }
    if AdvertiserSpend.objects.filter(**lookup).update(**increment):
        return
    try:
        with transaction.atomic():
            AdvertiserSpend.objects.create(
                amount_spent=amount, fee_amount=fee, spend_count=1, currency=campaign.currency, **lookup
            )
    except IntegrityError:
        AdvertiserSpend.objects.filter(**lookup).update(**increment)


# --- Ending, cancelling and refunds ------------------------------------------------------------


def campaign_end(*, campaign: Campaign, actor=None, reason: str = "") -> Campaign:
    """End the campaign (campaigns service), then refund its unused budget and fee."""
    campaign_services.campaign_complete(campaign=campaign, actor=actor, reason=reason)
    _earnings_settle(campaign)
    refund_unused_safely(campaign=campaign, actor=actor)
    return campaign


def campaign_cancel(*, campaign: Campaign, actor=None, reason: str) -> Campaign:
    """Cancel the campaign (campaigns service), then refund its unused budget and fee."""
    campaign_services.campaign_cancel(campaign=campaign, actor=actor, reason=reason)
    _earnings_settle(campaign)
    refund_unused_safely(campaign=campaign, actor=actor)
    return campaign


def campaigns_end_expired(*, today=None) -> list[int]:
    """End campaigns whose end date has passed and refund what they did not spend.

    Visibility campaigns end the day after their end date. Salesman campaigns wait until no sale
    is pending or awaiting budget (pending sales are auto-verified after SALE_AUTO_VERIFY_DAYS), so
    a commission is never left without the budget to pay it. Consultant and Seller campaigns are
    left to the advertiser, who ends them when the agreed work is done.
    """
    from tracking.models import SaleStatus

    today = today or timezone.localdate()
    expired = Campaign.objects.filter(
        status__in=[CampaignStatus.ACTIVE, CampaignStatus.PAUSED],
        end_date__lt=today,
        campaign_type__in=[CampaignType.VISIBILITY, CampaignType.SALESMAN],
    ).exclude(
        campaign_type=CampaignType.SALESMAN,
        sales__status__in=[SaleStatus.PENDING, SaleStatus.AWAITING_BUDGET],
    )
    ended = []
    for campaign in expired.distinct():
        try:
            campaign_end(campaign=campaign, reason=f"Ended on its end date ({campaign.end_date:%Y-%m-%d}).")
        except campaign_services.CampaignError:
            continue  # it moved on meanwhile (ended by the advertiser, say)
        ended.append(campaign.pk)
    return ended


def _earnings_settle(campaign) -> None:
    """Post views already counted but not yet accrued (the hourly accrual runs later), so the
    refund gives back only what promoters did not earn. The campaign has stopped counting."""
    if campaign.campaign_type == CampaignType.VISIBILITY:
        from tracking.services import views_accrue

        views_accrue(campaign=campaign)


def refund_unused_safely(*, campaign, actor=None) -> list[AdvertiserCharge]:
    """`campaign_refund_unused`, with Stripe outages left to the retry task (rows stay pending)."""
    try:
        return campaign_refund_unused(campaign=campaign, actor=actor)
    except GatewayError as error:
        logger.warning("refund for campaign %s left pending: %s", campaign.pk, error)
        return []


def campaign_refund_unused(*, campaign, actor=None) -> list[AdvertiserCharge]:
    """Refund an ended campaign's unused budget and unused fee against its funding payments,
    newest first, keeping what its work waiting for review may still be paid. Safe to call
    twice or at once (the reservation runs under the campaign's lock and refunds only what no
    refund row holds yet); called again whenever money comes back to the ended campaign, it
    writes another partial refund of a payment, as Stripe allows. The ledger moves when a row
    is written, and Stripe is asked with `refund-<row pk>`."""
    _refunds_reserve(campaign)
    pending = AdvertiserCharge.objects.filter(
        campaign_id=campaign.pk, kind=ChargeKind.REFUND, status=ChargeStatus.PENDING
    ).order_by("-payment_intent_id")
    for row in pending:
        refund_send(row)
    return list(AdvertiserCharge.objects.filter(campaign_id=campaign.pk, kind=ChargeKind.REFUND).order_by("-pk"))


def _refunds_reserve(campaign) -> None:
    with transaction.atomic(durable=True):
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in ENDED:
            raise BillingError("Unused budget is refunded when the campaign ends or is cancelled.")
        allocations = list(CampaignBudgetAllocation.objects.select_for_update().filter(campaign=locked).order_by("pk"))
        if not allocations:
            return
        budget, fee_held = ledger.campaign_budget(locked), ledger.campaign_fee_held(locked)
        external = ledger.external(locked.currency)
        accounts = ledger.accounts_lock(budget, fee_held, external)
        kept_budget, kept_fee = _kept_for_waiting_work(
            locked, allocations, budget=accounts[budget.pk].balance, fee=accounts[fee_held.pk].balance
        )
        unused_budget = accounts[budget.pk].balance - kept_budget
        unused_fee = accounts[fee_held.pk].balance - kept_fee
        charges = {
            row.payment_intent_id: row
            for row in AdvertiserCharge.objects.filter(campaign=locked, kind=ChargeKind.CHARGE)
        }
        # Stripe refused a refund of these payments for good (disputed, card closed): another
        # would be refused again at every sweep. Staff refund them by hand from admin.
        refused = set(
            AdvertiserCharge.objects.filter(
                campaign=locked, kind=ChargeKind.REFUND, status=ChargeStatus.FAILED
            ).values_list("payment_intent_id", flat=True)
        )
        for allocation in reversed(allocations):
            if allocation.payment_intent_id in refused:
                continue
            # What this payment has left unspent and unrefunded (earlier partial refunds of it
            # are counted in its refunded amounts).
            budget_part = min(unused_budget, max(0, allocation.remaining_amount))
            fee_part = min(unused_fee, allocation.fee_amount - allocation.fee_refunded_amount)
            if budget_part + fee_part <= 0:
                continue
            charge = charges[allocation.payment_intent_id]
            row = AdvertiserCharge.objects.create(
                kind=ChargeKind.REFUND,
                advertiser_id=locked.advertiser_id,
                campaign=locked,
                payment_intent_id=allocation.payment_intent_id,
                payment_method_id=charge.payment_method_id,
                payment_method_label=charge.payment_method_label,
                status=ChargeStatus.PENDING,
                amount=budget_part + fee_part,
                budget_amount=budget_part,
                fee_amount=fee_part,
                currency=allocation.currency,
                stripe_charge_id=charge.stripe_charge_id,
            )
            ledger.ledger_post(
                kind=TransactionKind.REFUND,
                legs=[ledger.Leg(budget, external, budget_part), ledger.Leg(fee_held, external, fee_part)],
                idempotency_key=f"refund-{row.pk}",
                memo=f"Unused budget of {charge.stripe_charge_id}",
            )
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(
                refunded_amount=F("refunded_amount") + budget_part,
                fee_refunded_amount=F("fee_refunded_amount") + fee_part,
            )
            unused_budget -= budget_part
            unused_fee -= fee_part


def ended_campaigns_refund_leftovers(*, limit: int = 100) -> int:
    """Refund money an ended campaign holds (it came back after the end and its refund task was
    lost); the work a campaign still waits to review keeps its share. Returns the campaigns
    looked at. Safe to run twice."""
    # Page through all of them: campaigns that rightly keep money (work waiting for review, a
    # payment Stripe refuses to refund) must not hide the ones after them.
    looked_at, last_id = 0, 0
    while True:
        holding = list(
            LedgerAccount.objects.filter(
                kind__in=[AccountKind.CAMPAIGN_BUDGET, AccountKind.CAMPAIGN_FEE_HELD],
                balance__gt=0,
                campaign__status__in=ENDED,
                campaign_id__gt=last_id,
            )
            .values_list("campaign_id", flat=True)
            .distinct()
            .order_by("campaign_id")[:limit]
        )
        if not holding:
            return looked_at
        for campaign in Campaign.objects.filter(pk__in=holding).order_by("pk"):
            refund_unused_safely(campaign=campaign)
        looked_at += len(holding)
        last_id = holding[-1]


def _kept_for_waiting_work(campaign, allocations, *, budget: int, fee: int) -> tuple[int, int]:
    """(budget, fee) an ended Consultant/Seller campaign keeps for the milestones whose work was
    submitted before it ended and waits for review: approving it pays from them, and reviewing
    it refunds what is left (campaigns' review services queue the refund)."""
    if campaign.campaign_type not in APPLICATION_TYPES:
        return 0, 0
    waiting = campaign_services.campaign_work_waiting_cents(campaign=campaign)
    kept_budget = min(waiting, budget)
    if kept_budget == budget:
        return kept_budget, fee
    total_budget = sum(allocation.allocated_amount for allocation in allocations)
    total_fee = sum(allocation.fee_amount for allocation in allocations)
    # Rounded up: the spend recognises floor(spent x fee / budget), so this always covers it.
    kept_fee = -(-kept_budget * total_fee // total_budget) if total_budget else 0
    return kept_budget, min(kept_fee, fee)


def refund_send(row: AdvertiserCharge) -> AdvertiserCharge:
    """Ask Stripe for a pending refund row (same key on every retry) and record the answer."""
    row.refresh_from_db()
    if row.status != ChargeStatus.PENDING:
        return row
    try:
        refund = gateway.refund_create(
            charge_id=row.stripe_charge_id,
            amount=row.amount,
            metadata={"refund_row_id": str(row.pk), "campaign_public_id": str(row.campaign.public_id)},
            idempotency_key=f"refund-{row.pk}",
        )
    except GatewayUnavailable as error:
        logger.warning("refund %s left pending: %s", row.pk, error)
        return row
    except GatewayError as error:
        return _refund_fail(row, error.message)
    return refund_record(row, refund)


def refund_record(row: AdvertiserCharge, refund: gateway.Refund) -> AdvertiserCharge:
    if refund.status in ("failed", "canceled"):
        return _refund_fail(row, refund.failure_reason or f"Stripe {refund.status} the refund.", refund_id=refund.id)
    fields = {"stripe_refund_id": refund.id}
    if refund.status == "succeeded":
        fields["status"] = ChargeStatus.SUCCEEDED
    with transaction.atomic():
        recorded = AdvertiserCharge.objects.filter(pk=row.pk, status=ChargeStatus.PENDING).update(
            updated_at=timezone.now(), **fields
        )
        row.refresh_from_db()
        if recorded and row.status == ChargeStatus.SUCCEEDED:
            # Only the call that moved the row out of pending tells the advertiser.
            notifications.refund_issued(row=row)
    return row


def refund_sync(row: AdvertiserCharge) -> AdvertiserCharge:
    """Re-read a pending refund from Stripe (webhooks, retry task)."""
    if row.status != ChargeStatus.PENDING:
        return row
    if row.stripe_refund_id:
        return refund_record(row, gateway.refund_retrieve(row.stripe_refund_id))
    return refund_send(row)


def _refund_fail(row: AdvertiserCharge, reason: str, refund_id: str | None = None) -> AdvertiserCharge:
    """Stripe refused the refund for good: mark it failed and put the money back in the campaign."""
    with transaction.atomic(durable=True):
        campaign = Campaign.objects.select_for_update().get(pk=row.campaign_id)
        allocation = CampaignBudgetAllocation.objects.select_for_update().get(payment_intent_id=row.payment_intent_id)
        claimed = AdvertiserCharge.objects.filter(pk=row.pk, status=ChargeStatus.PENDING).update(
            status=ChargeStatus.FAILED,
            failure_reason=reason[:500],
            stripe_refund_id=refund_id,
            updated_at=timezone.now(),
        )
        if claimed:
            external = ledger.external(row.currency)
            ledger.ledger_post(
                kind=TransactionKind.ADJUSTMENT,
                legs=[
                    ledger.Leg(external, ledger.campaign_budget(campaign), row.budget_amount),
                    ledger.Leg(external, ledger.campaign_fee_held(campaign), row.fee_amount),
                ],
                idempotency_key=f"refund-failed-{row.pk}",
                memo=f"Refund failed: {reason}"[:300],
            )
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(
                refunded_amount=F("refunded_amount") - row.budget_amount,
                fee_refunded_amount=F("fee_refunded_amount") - row.fee_amount,
            )
    row.refresh_from_db()
    return row


def refunds_retry_pending(*, older_than_seconds: int = 60, limit: int = 100) -> int:
    """Send or re-read refunds left pending (Stripe was down, the process died). Safe to run twice."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    rows = AdvertiserCharge.objects.filter(
        kind=ChargeKind.REFUND, status=ChargeStatus.PENDING, updated_at__lte=cutoff
    ).order_by("pk")[:limit]
    count = 0
    for row in rows:
        try:
            refund_sync(row)
            count += 1
        except GatewayError as error:
            logger.warning("refund %s retry failed: %s", row.pk, error)
    return count


# --- Reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignBudget:
    campaign: Campaign
    allocated: int
    spent: int
    refunded: int
    remaining: int
    fee_funded: int
    fee_recognised: int
    fee_refunded: int

    @property
    def percent_spent(self):
        return min(100, self.spent * 100 // self.allocated) if self.allocated else 0


def campaign_budgets(*, advertiser) -> list[CampaignBudget]:
    """Allocated, spent, refunded and remaining budget per funded campaign of `advertiser`."""
    sums = (
        CampaignBudgetAllocation.objects.filter(campaign__advertiser=advertiser)
        .values("campaign_id")
        .annotate(
            allocated=Sum("allocated_amount"),
            spent=Sum("spent_amount"),
            refunded=Sum("refunded_amount"),
            fee=Sum("fee_amount"),
            fee_refunded=Sum("fee_refunded_amount"),
        )
        .order_by()
    )
    by_campaign = {row["campaign_id"]: row for row in sums}
    campaigns = Campaign.objects.filter(pk__in=by_campaign).order_by("-created_at")
    recognised = dict(
        PlatformFee.objects.filter(campaign__in=campaigns, kind=PlatformFeeKind.RECOGNISED)
        .values_list("campaign_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    result = []
    for campaign in campaigns:
        row = by_campaign[campaign.pk]
        result.append(
            CampaignBudget(
                campaign=campaign,
                allocated=row["allocated"],
                spent=row["spent"],
                refunded=row["refunded"],
                remaining=row["allocated"] - row["spent"] - row["refunded"],
                fee_funded=row["fee"],
                fee_recognised=recognised.get(campaign.pk, 0),
                fee_refunded=row["fee_refunded"],
            )
        )
    return result


def charges_for(*, advertiser, limit: int = 100):
    return (
        AdvertiserCharge.objects.filter(advertiser=advertiser)
        .select_related("campaign")
        .filter(Q(kind=ChargeKind.REFUND) | Q(status=ChargeStatus.SUCCEEDED))
        .order_by("-created_at", "-pk")[:limit]
    )
