"""The milestone fee reserve: a Consultant/Seller budget is the agreed amount, and its milestones
are planned against it, so a fixed fee per milestone payment needs money of its own. Funding adds
the fee of each milestone planned by then (at least one) to the payment, into the campaign budget
(`funding_record_success`), where each milestone payment takes its fee (`campaign_budget_spend`);
what the fees do not use is refunded with the unused budget (`campaign_refund_unused`). A
milestone planned once the campaign is funded must fit, with its fee, in what the budget holds.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Sum

from billing import fees
from billing.models import CampaignBudgetAllocation
from billing.services.budget import bank_payment_processing, campaign_budget_remaining
from campaignplatform.money import dollars
from campaigns.models import Campaign, CampaignDeliverable, DeliverableStatus
from campaigns.services import BudgetExceeded

# A milestone in one of these is paid (from the budget) or will never be.
_SETTLED = (DeliverableStatus.APPROVED, DeliverableStatus.REJECTED)


def milestone_fee_reserve_cents(campaign: Campaign, *, terms: fees.FeeTerms | None = None) -> int:
    """The reserve funding `campaign` adds to its budget: the fixed fee per milestone payment for
    each milestone planned by now (rejected ones aside), at least one; 0 for other types or fee
    terms without a fixed fee per milestone payment."""
    terms = terms or fees.campaign_fee_terms(campaign)
    if not terms.reserves_fee_per_spend:
        return 0
    planned = CampaignDeliverable.objects.filter(
        promoter_campaign__campaign=campaign, promoter_campaign__agreed_amount__isnull=False
    ).exclude(status=DeliverableStatus.REJECTED)
    return terms.fee_reserve_cents(planned.count())


def milestone_planning_check(sender, *, campaign: Campaign, amount_cents: int, **kwargs) -> None:
    """campaigns' `milestone_planning`, inside deliverable_create's transaction with the campaign
    row locked (so no payment or other milestone moves the figures meanwhile): once the campaign
    is funded under a fixed fee per milestone payment, the milestones still to pay, the new one
    and a fee for each must fit in what the budget holds, or every milestone could not be paid.
    Raises BudgetExceeded, which undoes the planning. While a bank payment is processing, the
    same rule holds against what it will put in the budget. Before funding, the next payment's
    reserve counts it, and open payment pages quoted without it are closed once it commits."""
    fee = fees.campaign_fixed_fee_per_spend(campaign)
    if not fee:
        return
    holds = _budget_to_plan_against(campaign)
    if holds is None:
        # The next payment's reserve counts it; a page already open was quoted without it.
        # robust: the milestone is saved by then; a failure to close a page must not become an
        # error for the advertiser (who would plan the milestone twice), so it is logged.
        transaction.on_commit(lambda campaign_id=campaign.pk: _stale_pages_close(campaign_id), robust=True)
        return
    unpaid = (
        CampaignDeliverable.objects.filter(promoter_campaign__campaign=campaign)
        .exclude(status__in=_SETTLED)
        .aggregate(total=Sum("amount"), count=Count("pk"))
    )
    free = holds - (unpaid["total"] or 0) - fee * unpaid["count"]
    if amount_cents + fee <= free:
        return
    raise BudgetExceeded(_no_room_message(fee=fee, unpaid=unpaid["count"], free=free))


def _budget_to_plan_against(campaign: Campaign) -> int | None:
    """What the campaign's budget holds once funded; while a bank payment is processing, what that
    payment will put there (its reserve was fixed when it was made); None before either."""
    if CampaignBudgetAllocation.objects.filter(campaign=campaign).exists():
        return campaign_budget_remaining(campaign)
    processing = bank_payment_processing(campaign)
    return processing.budget_amount + processing.fee_reserve_amount if processing else None


def _stale_pages_close(campaign_id: int) -> None:
    from billing.services.funding import stale_payment_pages_close  # funding's quotes import this module

    stale_payment_pages_close(campaign_id=campaign_id)


def _no_room_message(*, fee: int, unpaid: int, free: int) -> str:
    milestones = {0: "no milestone", 1: "1 milestone"}.get(unpaid, f"{unpaid} milestones")
    start = f"Each milestone payment takes a {dollars(fee)} platform fee from the budget, and the budget has room for"
    if free > fee:
        return (
            f"{start} {milestones} still to pay and {dollars(free)} more: make this one part of an existing "
            f"milestone, or plan at most {dollars(free - fee)}."
        )
    return f"{start} the {milestones} still to pay: make this one part of an existing milestone."
