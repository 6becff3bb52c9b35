"""Disputes (chargebacks) of funding payments.

A dispute's events are triggers: `dispute_sync` re-reads the dispute from Stripe and brings our
side to its state, once per step, whatever order or how many times the events arrive.

- Opened (any status but an inquiry's `warning_*`): Stripe has taken the disputed amount and its
  dispute fee from the platform balance. The campaign is paused, and its unspent budget, then its
  unspent fee, cover the withdrawal; what they cannot cover was already paid to promoters, who
  keep it: a platform loss. Stripe's fee is a Stripe fee. (`dispute-<pk>-withdrawn`)
- Won: Stripe gives the amount back; the budget and fee it covered return to the campaign, the
  loss is undone, and a campaign paused for the dispute resumes. (`dispute-<pk>-reinstated`)
- Lost: nothing comes back; the covered budget and fee paid for it and the loss stays recorded.

Lock order as elsewhere: campaign row, its allocations, then ledger accounts.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import gateway, ledger, notifications
from billing.models import (
    AdvertiserCharge,
    CampaignBudgetAllocation,
    ChargeKind,
    Dispute,
    DisputeHold,
    DisputeStatus,
    TransactionKind,
)
from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignStatus, StatusReason

logger = logging.getLogger(__name__)


def dispute_sync(*, stripe_dispute_id: str) -> Dispute | None:
    """Bring our side of a dispute to Stripe's current state (see the module's docstring)."""
    remote = gateway.dispute_retrieve(stripe_dispute_id)
    if remote.status.startswith("warning_"):
        return None  # an inquiry: no money has moved yet
    charge = (
        AdvertiserCharge.objects.filter(kind=ChargeKind.CHARGE, stripe_charge_id=remote.charge_id)
        .select_related("campaign")
        .first()
    )
    if charge is None:
        logger.warning("dispute %s on unknown charge %s", remote.id, remote.charge_id)
        return None
    dispute = _dispute_withdraw(charge=charge, remote=remote)
    if remote.status == "won":
        _dispute_reinstate(dispute)
    elif remote.status == "lost":
        _dispute_lose(dispute)
    dispute.refresh_from_db()
    return dispute


def _dispute_withdraw(*, charge: AdvertiserCharge, remote: gateway.Dispute) -> Dispute:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=charge.campaign_id)
        dispute, _ = Dispute.objects.get_or_create(
            stripe_dispute_id=remote.id,
            defaults={
                "charge": charge,
                "campaign": campaign,
                "advertiser_id": campaign.advertiser_id,
                "amount": remote.amount,
                "stripe_fee": remote.stripe_fee,
                "reason": (remote.reason or "")[:60],
                "currency": remote.currency,
            },
        )
        if dispute.withdrawn_at is not None:
            return dispute
        allocations = list(
            CampaignBudgetAllocation.objects.select_for_update().filter(campaign=campaign).order_by("pk")
        )
        budget, fee_held = ledger.campaign_budget(campaign), ledger.campaign_fee_held(campaign)
        external = ledger.external(dispute.currency)
        locked = ledger.accounts_lock(budget, fee_held, external)
        budget_covered, fee_covered = _covered(
            dispute, allocations, charge, budget=locked[budget.pk].balance, fee=locked[fee_held.pk].balance
        )
        loss = dispute.amount - budget_covered - fee_covered
        ledger.ledger_post(
            kind=TransactionKind.DISPUTE,
            legs=[
                ledger.Leg(budget, external, budget_covered),
                ledger.Leg(fee_held, external, fee_covered),
                ledger.Leg(ledger.platform_losses(dispute.currency), external, loss),
                ledger.Leg(ledger.stripe_fees(dispute.currency), external, dispute.stripe_fee),
            ],
            idempotency_key=f"dispute-{dispute.pk}-withdrawn",
            memo=f"Stripe dispute {dispute.stripe_dispute_id} on {charge.stripe_charge_id}",
        )
        _allocations_hold(dispute, allocations, charge, budget_covered, fee_covered)
        Dispute.objects.filter(pk=dispute.pk).update(
            budget_covered=budget_covered, fee_covered=fee_covered, loss=loss, withdrawn_at=timezone.now()
        )
        if campaign.status == CampaignStatus.ACTIVE:
            campaign_services.campaign_pause(campaign=campaign, code=StatusReason.PAYMENT_DISPUTED)
        notifications.dispute_opened(dispute=dispute, campaign=campaign, held=budget_covered + fee_covered)
    dispute.refresh_from_db()
    return dispute


def _covered(dispute, allocations, charge, *, budget: int, fee: int) -> tuple[int, int]:
    """(budget, fee) the campaign covers the withdrawal with: the disputed payment's own unspent
    budget and fee first, since the card holder gets that payment back whole; then the other
    payments' budget, then their fee. Taking other budget before the disputed payment's own fee
    would leave that fee in the campaign with only a refused payment to go back through."""
    disputed = next((a for a in allocations if a.payment_intent_id == charge.payment_intent_id), None)
    own_budget = own_fee = 0
    if disputed is not None:
        own_budget = min(max(0, disputed.remaining_amount), dispute.amount, budget)
        own_fee = min(disputed.fee_amount - disputed.fee_refunded_amount, dispute.amount - own_budget, fee)
    rest = dispute.amount - own_budget - own_fee
    other_budget = min(budget - own_budget, rest)
    other_fee = min(fee - own_fee, rest - other_budget)
    return own_budget + other_budget, own_fee + other_fee


def _allocations_hold(dispute, allocations, charge, budget_part: int, fee_part: int) -> None:
    """Count the covered budget and fee as gone from the campaign's payments (so neither is
    spent nor refunded meanwhile): the disputed payment's first, then the newest others. Each
    payment's share is stored so a won dispute gives back exactly it."""
    ordered = sorted(allocations, key=lambda a: (a.payment_intent_id != charge.payment_intent_id, -a.pk))
    for allocation in ordered:
        budget_take = min(budget_part, max(0, allocation.remaining_amount))
        fee_take = min(fee_part, allocation.fee_amount - allocation.fee_refunded_amount)
        if budget_take or fee_take:
            DisputeHold.objects.create(
                dispute=dispute, allocation=allocation, budget_amount=budget_take, fee_amount=fee_take
            )
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(
                refunded_amount=F("refunded_amount") + budget_take,
                fee_refunded_amount=F("fee_refunded_amount") + fee_take,
            )
        budget_part -= budget_take
        fee_part -= fee_take


def _allocations_release(dispute) -> None:
    """Undo the hold (a dispute won): each payment gets back what the hold took from it."""
    holds = list(dispute.holds.all())
    if not holds and dispute.budget_covered + dispute.fee_covered > 0:
        holds = _holds_guessed(dispute)
    for hold in holds:
        CampaignBudgetAllocation.objects.filter(pk=hold.allocation_id).update(
            refunded_amount=F("refunded_amount") - hold.budget_amount,
            fee_refunded_amount=F("fee_refunded_amount") - hold.fee_amount,
        )


def _holds_guessed(dispute) -> list[DisputeHold]:
    """A hold made before holds were stored (migration 0009): the hold's own order (the disputed
    payment's first, then the newest), bounded by what each payment counts as gone."""
    allocations = CampaignBudgetAllocation.objects.filter(campaign_id=dispute.campaign_id)
    ordered = sorted(allocations, key=lambda a: (a.payment_intent_id != dispute.charge.payment_intent_id, -a.pk))
    budget_part, fee_part, guessed = dispute.budget_covered, dispute.fee_covered, []
    for allocation in ordered:
        budget_take = min(budget_part, allocation.refunded_amount)
        fee_take = min(fee_part, allocation.fee_refunded_amount)
        guessed.append(DisputeHold(allocation=allocation, budget_amount=budget_take, fee_amount=fee_take))
        budget_part, fee_part = budget_part - budget_take, fee_part - fee_take
    return guessed


def _dispute_reinstate(dispute: Dispute) -> None:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=dispute.campaign_id)
        # Locked as every money service locks them, though only the held ones change.
        list(CampaignBudgetAllocation.objects.select_for_update().filter(campaign=campaign).order_by("pk"))
        claimed = Dispute.objects.filter(pk=dispute.pk, status=DisputeStatus.OPEN).update(
            status=DisputeStatus.WON, closed_at=timezone.now()
        )
        if not claimed:
            return
        dispute.refresh_from_db()
        ledger.ledger_post(
            kind=TransactionKind.DISPUTE_REINSTATED,
            legs=[
                *ledger.legs_into_campaign(campaign, budget=dispute.budget_covered, fee=dispute.fee_covered),
                ledger.Leg(ledger.external(dispute.currency), ledger.platform_losses(dispute.currency), dispute.loss),
            ],
            idempotency_key=f"dispute-{dispute.pk}-reinstated",
            memo=f"Stripe dispute {dispute.stripe_dispute_id} won",
        )
        _allocations_release(dispute)
        from billing.services import campaign_budget_returned, paused_for

        resumed = campaign.status == CampaignStatus.PAUSED and paused_for(campaign, StatusReason.PAYMENT_DISPUTED)
        resumed = resumed and not campaign.disputes.filter(status=DisputeStatus.OPEN).exists()
        if resumed:
            campaign_services.campaign_resume(campaign=campaign, code=StatusReason.DISPUTE_WON)
            campaign.refresh_from_db()
        # The held budget is back: a campaign paused for want of budget resumes and Salesman
        # sales waiting for budget are paid, as after a top-up.
        campaign_budget_returned(campaign=campaign, code=StatusReason.DISPUTE_WON)
        notifications.dispute_won(dispute=dispute, campaign=campaign, resumed=resumed)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        from billing.services import refund_unused_safely

        refund_unused_safely(campaign=campaign)  # an ended campaign gives it back


def _dispute_lose(dispute: Dispute) -> None:
    with transaction.atomic():
        claimed = Dispute.objects.filter(pk=dispute.pk, status=DisputeStatus.OPEN).update(
            status=DisputeStatus.LOST, closed_at=timezone.now()
        )
        if not claimed:
            return
        campaign = dispute.campaign
        notifications.dispute_lost(dispute=dispute, campaign=campaign)
    campaign.refresh_from_db()
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        from billing.services import refund_unused_safely

        # What waited for the dispute's end goes back to the other payments, or recovers the loss.
        refund_unused_safely(campaign=campaign)
