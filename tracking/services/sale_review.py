"""Reviewing sales: verification pays the commission, rejection and refunds take it back."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import NotificationKind
from accounts.notifications import notify
from billing import services as billing
from campaignplatform.money import dollars
from campaignplatform.reasons import ReasonInvalid, reason_checked
from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignStatus, CampaignType, StatusReason
from tracking.models import (
    CommissionDeduction,
    SaleRecord,
    SaleRejectionReason,
    SaleStatus,
)
from tracking.services.base import BUDGET_USED_UP_REASON, SaleConflict, SaleInvalid, TrackingError
from tracking.services.sales import sale_move


def _lock_sale(sale: SaleRecord) -> tuple[Campaign, SaleRecord]:
    campaign = Campaign.objects.select_for_update().get(pk=sale.campaign_id)
    locked = SaleRecord.objects.select_for_update().select_related("participation__promoter").get(pk=sale.pk)
    locked.campaign = campaign
    return campaign, locked


def _commission_post(*, campaign: Campaign, sale: SaleRecord) -> bool:
    """Post the sale's commission; False (nothing posted) if the budget cannot cover it."""
    if sale.commission_cents == 0:
        return True
    try:
        with transaction.atomic():
            result = billing.campaign_budget_spend(
                campaign=campaign,
                promoter=sale.participation.promoter,
                amount_cents=sale.commission_cents,
                idempotency_key=f"sale-commission-{sale.pk}",
                memo=f"Commission on order {sale.order_id}"[:300],
            )
    except billing.BudgetExhausted:
        return False
    sale.commission_fee_cents = result.fee_cents
    return True


def _commission_reverse(*, campaign: Campaign, sale: SaleRecord) -> bool:
    """Give a credited commission back to the campaign budget; False if the promoter's pending
    earnings no longer hold it (then the caller records a deduction).

    The reversal also lowers the budget allocation's spent amount and the recognised fee, which
    are billing's figures: it goes through billing's `campaign_budget_spend_reverse`.
    """
    from billing import ledger

    if ledger.promoter_pending(sale.participation.promoter, currency=campaign.currency).balance < sale.commission_cents:
        return False
    try:
        with transaction.atomic():
            billing.campaign_budget_spend_reverse(
                campaign=campaign,
                promoter=sale.participation.promoter,
                spend_idempotency_key=f"sale-commission-{sale.pk}",
                idempotency_key=f"sale-reversal-{sale.pk}",
                memo=f"Refund of order {sale.order_id}"[:300],
            )
    except ledger.InsufficientFunds:
        return False  # paid on meanwhile (the pending balance was read before the ledger's lock)
    sale.commission_posted = False
    return True


def sale_verify(*, sale: SaleRecord, actor=None) -> SaleRecord:
    """Verify a pending sale (actor None = auto-verification) and credit its commission.

    If the budget cannot cover the commission the sale waits as "awaiting budget", the campaign
    pauses and the advertiser is told; `sales_pay_awaiting` pays it after a top-up. Verifying a
    verified sale is a no-op (double click, the schedule racing the advertiser).
    """
    with transaction.atomic(durable=True):
        campaign, locked = _lock_sale(sale)
        if locked.status in (SaleStatus.VERIFIED, SaleStatus.AWAITING_BUDGET):
            return locked
        if locked.status != SaleStatus.PENDING:
            raise SaleConflict(f"This sale is {locked.get_status_display().lower()}.")
        now = timezone.now()
        verified = {"verified_at": now, "verified_by": actor, "auto_verified": actor is None}
        if _commission_post(campaign=campaign, sale=locked):
            sale_move(
                sale=locked,
                to_status=SaleStatus.VERIFIED,
                actor=actor,
                reason="auto-verified" if actor is None else "verified",
                commission_posted=locked.commission_cents > 0,
                commission_fee_cents=locked.commission_fee_cents,
                credited_at=now,
                **verified,
            )
            _sale_verified_notify(campaign, locked)
        else:
            sale_move(
                sale=locked, to_status=SaleStatus.AWAITING_BUDGET, actor=actor, reason=BUDGET_USED_UP_REASON, **verified
            )
            _budget_used_up(campaign, locked)
    return locked


def _sale_url(sale: SaleRecord) -> str:
    return reverse("tracking:promoter_participation", args=[sale.participation.public_id])


def _sale_verified_notify(campaign: Campaign, sale: SaleRecord) -> None:
    """Tell the promoter their commission is credited (once per sale, however it got verified)."""
    notify(
        user=sale.participation.promoter,
        kind=NotificationKind.SALE_VERIFIED,
        title=f"Sale verified: {dollars(sale.commission_cents)} commission",
        body=(
            f"Sale {sale.order_id} through your link or code for “{campaign.title}” was verified. "
            f"Your {dollars(sale.commission_cents)} commission is in your wallet and is paid out with "
            "the monthly payout."
        ),
        url=_sale_url(sale),
        event_key=f"sale:{sale.pk}:verified",
    )


def _sale_rejected_notify(campaign: Campaign, sale: SaleRecord) -> None:
    notify(
        user=sale.participation.promoter,
        kind=NotificationKind.SALE_REJECTED,
        title=f"Sale not verified: {sale.order_id}",
        body=(
            f"The advertiser of “{campaign.title}” rejected sale {sale.order_id}, so it earns no commission. "
            f"Their reason: {sale.decision_reason_text}"
        ),
        url=_sale_url(sale),
        event_key=f"sale:{sale.pk}:rejected",
    )


def _budget_used_up(campaign: Campaign, sale: SaleRecord):
    """Pause the campaign (the pause tells the advertiser to top up); when it was paused
    already, tell them about this sale, once."""
    if campaign.status == CampaignStatus.ACTIVE:
        campaign_services.campaign_pause(campaign=campaign, actor=None, code=StatusReason.BUDGET_USED_UP)
        return
    notify(
        user=campaign.advertiser,
        kind=NotificationKind.CAMPAIGN_PAUSED,
        title=f"Top up “{campaign.title}”: a verified sale is waiting for its commission",
        body=(
            f"The commission budget of “{campaign.title}” cannot cover sale {sale.order_id}. "
            "Top up its budget and the waiting commissions are paid at once."
        ),
        event_key=f"sale:{sale.pk}:awaiting_budget",
        url=reverse("billing:fund", args=[campaign.public_id]),
    )


def sales_verify(*, sales, actor) -> tuple[int, list[str]]:
    """Verify several sales, each in its own transaction. Returns (verified count, errors)."""
    done, errors = 0, []
    for sale in sales:
        try:
            sale_verify(sale=sale, actor=actor)
            done += 1
        except TrackingError as error:
            errors.append(f"{sale.order_id}: {error}")
    return done, errors


def sale_reject(*, sale: SaleRecord, actor, code: str, note: str = "") -> SaleRecord:
    """Reject a pending sale for `code` (a SaleRejectionReason) with the advertiser's optional
    note (required for OTHER); the promoter is told both."""
    try:
        code, note = reason_checked(code=code, note=note, allowed=SaleRejectionReason.values)
    except ReasonInvalid as invalid:
        raise SaleInvalid(invalid.message) from None
    with transaction.atomic(durable=True):
        _campaign, locked = _lock_sale(sale)
        if locked.status != SaleStatus.PENDING:
            raise SaleConflict(
                f"Only pending sales can be rejected; this one is {locked.get_status_display().lower()}."
            )
        locked.decision_reason_code, locked.decision_reason = code, note
        sale_move(
            sale=locked,
            to_status=SaleStatus.REJECTED,
            actor=actor,
            reason=locked.decision_reason_text[:500],
            decision_reason_code=code,
            decision_reason=note,
        )
        _sale_rejected_notify(_campaign, locked)
    return locked


def sales_pay_awaiting(*, campaign: Campaign) -> int:
    """Pay sales waiting for budget, oldest first, until the budget runs out. Billing calls this
    after a top-up (after its funding transaction commits). Returns how many were paid."""
    paid = 0
    for sale in SaleRecord.objects.filter(campaign=campaign, status=SaleStatus.AWAITING_BUDGET).order_by(
        "verified_at", "pk"
    ):
        with transaction.atomic(durable=True):
            locked_campaign, locked = _lock_sale(sale)
            if locked.status != SaleStatus.AWAITING_BUDGET:
                continue
            if not _commission_post(campaign=locked_campaign, sale=locked):
                break
            sale_move(
                sale=locked,
                to_status=SaleStatus.VERIFIED,
                reason="paid after top-up",
                commission_posted=locked.commission_cents > 0,
                commission_fee_cents=locked.commission_fee_cents,
                credited_at=timezone.now(),
            )
            _sale_verified_notify(locked_campaign, locked)
            paid += 1
    return paid


def sales_auto_verify_due(*, now=None, limit: int = 500) -> int:
    """Verify sales left pending for SALE_AUTO_VERIFY_DAYS. Safe to run twice (sale_verify is)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SALE_AUTO_VERIFY_DAYS)
    due = list(
        SaleRecord.objects.filter(status=SaleStatus.PENDING, created_at__lte=cutoff).order_by("created_at")[:limit]
    )
    done = 0
    for sale in due:
        try:
            if sale_verify(sale=sale, actor=None).status in (SaleStatus.VERIFIED, SaleStatus.AWAITING_BUDGET):
                done += 1
        except TrackingError:
            continue  # rejected or refunded meanwhile
    return done


def sale_refund(*, sale: SaleRecord, actor=None, reason: str = "refunded") -> SaleRecord:
    """The customer was refunded: the sale earns nothing.

    Pending or awaiting-budget sales simply become refunded. A credited commission is reversed
    (promoter pending -> campaign budget, and its fee share back) while the promoter's pending
    earnings still cover it, and the budget it frees resumes a campaign paused for budget and
    pays sales waiting for it (billing's `campaign_budget_returned`); otherwise it has moved on towards a payout, and a
    CommissionDeduction is recorded for payouts to take from the promoter's next earnings.
    Refunding twice is a no-op.
    """
    with transaction.atomic(durable=True):
        campaign, locked = _lock_sale(sale)
        if locked.status == SaleStatus.REFUNDED:
            return locked
        if locked.status == SaleStatus.REJECTED:
            raise SaleConflict("This sale was rejected; there is nothing to refund.")
        now = timezone.now()
        credited = locked.status == SaleStatus.VERIFIED and locked.commission_posted
        if credited and _commission_reverse(campaign=campaign, sale=locked):
            # The commission is back in the budget: it may resume a campaign paused for budget
            # and pay sales that were waiting for it.
            billing.campaign_budget_returned(campaign=campaign, code=StatusReason.BUDGET_RETURNED)
        elif credited:
            CommissionDeduction.objects.create(
                sale=locked,
                promoter=locked.participation.promoter,
                campaign=campaign,
                amount_cents=locked.commission_cents,
                fee_cents=locked.commission_fee_cents,
                currency=campaign.currency,
                created_at=now,
            )
        sale_move(
            sale=locked,
            to_status=SaleStatus.REFUNDED,
            actor=actor,
            reason=reason,
            refunded_at=now,
            commission_posted=locked.commission_posted,
        )
    return locked


def sales_pay_awaiting_after_top_up(sender, *, campaign: Campaign, **kwargs) -> None:
    """billing's `budget_returned`: once the budget commits, pay the Salesman sales that were
    verified meanwhile and wait as "awaiting budget" (a task)."""
    if campaign.campaign_type == CampaignType.SALESMAN:
        transaction.on_commit(lambda: async_task("tracking.tasks.pay_awaiting_sales", campaign.pk))
