"""Ending and cancelling campaigns, and refunding what their budgets did not use."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django_q.tasks import async_task

from billing import fees, gateway, ledger, notifications, signals
from billing.gateway import GatewayError, GatewayUnavailable
from billing.models import (
    AccountKind,
    AdvertiserCharge,
    CampaignBudgetAllocation,
    ChargeKind,
    ChargeStatus,
    Dispute,
    DisputeStatus,
    LedgerAccount,
    RefundFailure,
    TransactionKind,
    refund_failure_code,
)
from billing.services.base import ENDED, BillingError
from campaignplatform.transactions import in_callers_transaction
from campaigns import services as campaign_services
from campaigns.models import (
    APPLICATION_TYPES,
    Campaign,
)

logger = logging.getLogger(__name__)


def campaign_closed_refund(sender, *, campaign: Campaign, actor=None, **kwargs) -> None:
    """campaigns' `campaign_closed`: once what promoters earned is posted, refund the unused
    budget and its unused fee (Stripe outages leave the refund rows pending for the retry task)."""
    signals.budget_refund_starting.send(sender=Campaign, campaign=campaign)
    if in_callers_transaction():
        # Stripe is never called inside a transaction: refund once the caller's commits.
        transaction.on_commit(lambda: refund_unused_safely(campaign=campaign, actor=actor))
    else:
        refund_unused_safely(campaign=campaign, actor=actor)


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
    # Long on purpose: one transaction choosing which payments to refund, under the locks it takes in
    # order.
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
        kept = _kept_for_waiting_work(
            locked, allocations, budget=accounts[budget.pk].balance, fee=accounts[fee_held.pk].balance
        )
        unused_budget = accounts[budget.pk].balance - kept.budget
        unused_fee = accounts[fee_held.pk].balance - kept.fee
        reserve_left = _reserve_left_by_payment(locked, allocations, kept_fixed_fees=kept.fixed_fees)
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
        # Stripe refuses to refund a charged-back payment (`charge_disputed`): its share waits
        # for the dispute's end (won: refunded then) and the other payments give back the rest.
        refused |= set(
            Dispute.objects.filter(campaign=locked)
            .exclude(status=DisputeStatus.WON)
            .values_list("charge__payment_intent_id", flat=True)
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
            # Of the budget account's money, the part that is milestone fee reserve no fee used:
            # itemised on the refund (the ledger moves it with the budget, its account).
            reserve_part = min(budget_part, reserve_left.get(allocation.payment_intent_id, 0))
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
                budget_amount=budget_part - reserve_part,
                fee_amount=fee_part,
                fee_reserve_amount=reserve_part,
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
        if unused_budget + unused_fee > 0:
            _lost_disputes_recover(
                locked, allocations, budget=budget, fee_held=fee_held, amounts=[unused_budget, unused_fee]
            )


def _lost_disputes_recover(campaign, allocations, *, budget, fee_held, amounts: list[int]) -> None:
    """Money left in an ended campaign that only a payment lost to a dispute could take back
    (a sale refunded after the chargeback): the card holder already has that payment back and
    Stripe refuses to refund it, so the money recovers the platform's loss on the dispute."""
    for dispute in Dispute.objects.filter(campaign=campaign, status=DisputeStatus.LOST).order_by("pk"):
        budget_part = min(amounts[0], dispute.loss - dispute.loss_recovered)
        fee_part = min(amounts[1], dispute.loss - dispute.loss_recovered - budget_part)
        budget_part, fee_part = _allocations_count_gone(allocations, dispute, budget_part, fee_part)
        if budget_part + fee_part <= 0:
            continue
        losses = ledger.platform_losses(dispute.currency)
        ledger.ledger_post(
            kind=TransactionKind.DISPUTE,
            legs=[ledger.Leg(budget, losses, budget_part), ledger.Leg(fee_held, losses, fee_part)],
            idempotency_key=f"dispute-{dispute.pk}-recovered-{dispute.loss_recovered}",
            memo=f"Lost dispute {dispute.stripe_dispute_id}: money back after the chargeback",
        )
        Dispute.objects.filter(pk=dispute.pk).update(loss_recovered=F("loss_recovered") + budget_part + fee_part)
        amounts[0] -= budget_part
        amounts[1] -= fee_part


def _allocations_count_gone(allocations, dispute, budget_part: int, fee_part: int) -> tuple[int, int]:
    """Count a recovery as gone from the allocations (the disputed payment's first), within
    what each has left; returns the parts that fit."""
    ordered = sorted(allocations, key=lambda a: a.payment_intent_id != dispute.charge.payment_intent_id)
    budget_done = fee_done = 0
    for allocation in ordered:
        allocation.refresh_from_db()
        budget_take = min(budget_part - budget_done, max(0, allocation.remaining_amount))
        fee_take = min(fee_part - fee_done, allocation.fee_amount - allocation.fee_refunded_amount)
        if budget_take or fee_take:
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(
                refunded_amount=F("refunded_amount") + budget_take,
                fee_refunded_amount=F("fee_refunded_amount") + fee_take,
            )
            budget_done += budget_take
            fee_done += fee_take
    return budget_done, fee_done


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


@dataclass(frozen=True)
class _Kept:
    budget: int = 0  # of the budget account: the waiting milestones and their fixed fees
    fee: int = 0  # of the fee held: the percentage on the waiting milestones
    fixed_fees: int = 0  # of `budget`, the waiting milestones' fixed fees


def _kept_for_waiting_work(campaign, allocations, *, budget: int, fee: int) -> _Kept:
    """What an ended Consultant/Seller campaign keeps for the milestones whose work was
    submitted before it ended and waits for review, each with its fixed fee per milestone
    payment: approving it pays from them, and reviewing it refunds what is left (campaigns'
    review services queue the refund)."""
    if campaign.campaign_type not in APPLICATION_TYPES:
        return _Kept()
    waiting, milestones = campaign_services.campaign_work_waiting(campaign=campaign)
    fixed_fees = milestones * fees.campaign_fixed_fee_per_spend(campaign)
    kept_budget = min(waiting + fixed_fees, budget)
    if kept_budget == budget:
        return _Kept(kept_budget, fee, fixed_fees)
    total_budget = sum(allocation.percent_base_amount for allocation in allocations)
    total_fee = sum(allocation.fee_amount for allocation in allocations)
    # Rounded up: the spend recognises floor(spent x fee / budget), so this always covers it
    # (the percentage is on what the promoter earns, not on the fixed fees).
    kept_fee = -(-min(waiting, kept_budget) * total_fee // total_budget) if total_budget else 0
    return _Kept(kept_budget, min(kept_fee, fee), fixed_fees)


def _reserve_left_by_payment(campaign, allocations, *, kept_fixed_fees: int) -> dict[int, int]:
    """{payment intent id: its milestone fee reserve no fee used and no refund returned yet}.

    The budget account holds the agreed amount and the reserve together; fixed fees count as
    taken from the reserve first, so what is unused of it is the reserve less the fees taken,
    less the fees kept for work waiting for review, less what refunds already returned of it
    (newest payment first, as refunds go)."""
    reserve = sum(allocation.fee_reserve_amount for allocation in allocations)
    if not reserve:
        return {}
    refunded = dict(
        AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.REFUND)
        .exclude(status=ChargeStatus.FAILED)
        .values_list("payment_intent_id")
        .annotate(total=Sum("fee_reserve_amount"))
        .order_by()
    )
    unused = reserve - sum(allocation.fee_taken_amount for allocation in allocations) - kept_fixed_fees
    unused -= sum(refunded.values())
    left = {}
    for allocation in reversed(allocations):
        own = allocation.fee_reserve_amount - refunded.get(allocation.payment_intent_id, 0)
        left[allocation.payment_intent_id] = max(0, min(own, unused))
        unused -= left[allocation.payment_intent_id]
    return left


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
        return _refund_fail(row, code=refund_failure_code(error.code), message=error.message)
    return refund_record(row, refund)


def refund_record(row: AdvertiserCharge, refund: gateway.Refund) -> AdvertiserCharge:
    if refund.status in ("failed", "canceled"):
        # A refund object says why with a code alone (`failure_reason`); one we do not know is
        # kept as the message so staff can read it.
        code, message = refund_failure_code(refund.failure_reason), ""
        if code == RefundFailure.OTHER:
            because = f" ({refund.failure_reason})" if refund.failure_reason else ""
            message = f"Stripe {refund.status} the refund{because}."
        return _refund_fail(row, code=code, message=message, refund_id=refund.id)
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


def _refund_fail(row: AdvertiserCharge, *, code: str, message: str, refund_id: str | None = None) -> AdvertiserCharge:
    """Stripe refused the refund for good (`code`, a RefundFailure, and Stripe's `message`):
    mark it failed and put the money back in the campaign."""
    with transaction.atomic(durable=True):
        campaign = Campaign.objects.select_for_update().get(pk=row.campaign_id)
        allocation = CampaignBudgetAllocation.objects.select_for_update().get(payment_intent_id=row.payment_intent_id)
        claimed = AdvertiserCharge.objects.filter(pk=row.pk, status=ChargeStatus.PENDING).update(
            status=ChargeStatus.FAILED,
            failure_reason_code=code,
            failure_reason=message[:500],
            stripe_refund_id=refund_id,
            updated_at=timezone.now(),
        )
        if claimed:
            ledger.ledger_post(
                kind=TransactionKind.ADJUSTMENT,
                legs=ledger.legs_into_campaign(
                    campaign, budget=row.budget_amount + row.fee_reserve_amount, fee=row.fee_amount
                ),
                idempotency_key=f"refund-failed-{row.pk}",
                memo=f"Refund failed: {RefundFailure(code).label}. {message}".strip()[:300],
            )
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(
                refunded_amount=F("refunded_amount") - row.budget_amount - row.fee_reserve_amount,
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


def ended_campaign_work_reviewed_refund(sender, *, campaign_id: int, **kwargs) -> None:
    """campaigns' `ended_campaign_work_reviewed`: once the review commits, refund what it did not
    pay (a task, so Stripe is called outside the review's transaction)."""
    transaction.on_commit(lambda: async_task("billing.tasks.campaign_refund_unused", campaign_id))
