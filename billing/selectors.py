"""What billing's pages read: campaign budgets and charges."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, Sum

from billing.models import (
    AccountKind,
    AdvertiserCharge,
    CampaignBudgetAllocation,
    ChargeKind,
    ChargeStatus,
    PlatformFee,
    PlatformFeeKind,
)
from campaigns.models import (
    Campaign,
)

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
    fixed_fees_taken: int = 0  # fixed fees per sale or milestone payment the budget paid
    fee_reserve: int = 0  # of `allocated`, the milestone fee reserve funding added for those fees

    @property
    def percent_spent(self):
        """Of the budget, how much promoters earned and fixed fees took."""
        used = self.spent + self.fixed_fees_taken
        return min(100, used * 100 // self.allocated) if self.allocated else 0


def allocation_sums_by_campaign(allocations) -> dict[int, dict]:
    """{campaign pk: {allocated, spent, fixed_fees_taken, refunded, fee, fee_refunded}} summed
    over `allocations`."""
    rows = (
        allocations.values("campaign_id")
        .annotate(
            allocated=Sum("allocated_amount"),
            spent=Sum("spent_amount"),
            fixed_fees_taken=Sum("fee_taken_amount"),
            fee_reserve=Sum("fee_reserve_amount"),
            refunded=Sum("refunded_amount"),
            fee=Sum("fee_amount"),
            fee_refunded=Sum("fee_refunded_amount"),
        )
        .order_by()
    )
    return {row["campaign_id"]: row for row in rows}


def _budget_of(campaign, row: dict, recognised: int) -> CampaignBudget:
    return CampaignBudget(
        campaign=campaign,
        allocated=row["allocated"],
        spent=row["spent"],
        refunded=row["refunded"],
        remaining=row["allocated"] - row["spent"] - row["fixed_fees_taken"] - row["refunded"],
        fee_funded=row["fee"],
        fee_recognised=recognised,
        fee_refunded=row["fee_refunded"],
        fixed_fees_taken=row["fixed_fees_taken"],
        fee_reserve=row["fee_reserve"],
    )


def _percentage_recognised(campaigns) -> dict[int, int]:
    """{campaign id: percentage fee recognised} (the fixed fees are counted apart)."""
    return dict(
        PlatformFee.objects.filter(
            campaign__in=campaigns,
            kind=PlatformFeeKind.RECOGNISED,
            transaction__source__kind=AccountKind.CAMPAIGN_FEE_HELD,
        )
        .values_list("campaign_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )


def campaign_budgets(*, advertiser) -> list[CampaignBudget]:
    """Allocated, spent, fixed fees taken, refunded and remaining budget per funded campaign of
    `advertiser`."""
    by_campaign = allocation_sums_by_campaign(CampaignBudgetAllocation.objects.filter(campaign__advertiser=advertiser))
    campaigns = Campaign.objects.filter(pk__in=by_campaign).order_by("-created_at")
    recognised = _percentage_recognised(campaigns)
    return [_budget_of(campaign, by_campaign[campaign.pk], recognised.get(campaign.pk, 0)) for campaign in campaigns]


def campaign_budget(*, campaign) -> CampaignBudget | None:
    """The same figures for one campaign; None before it is funded."""
    row = allocation_sums_by_campaign(CampaignBudgetAllocation.objects.filter(campaign=campaign)).get(campaign.pk)
    if row is None:
        return None
    return _budget_of(campaign, row, _percentage_recognised([campaign.pk]).get(campaign.pk, 0))


def charges_for(*, advertiser, limit: int = 100):
    return (
        AdvertiserCharge.objects.filter(advertiser=advertiser)
        .select_related("campaign")
        .filter(Q(kind=ChargeKind.REFUND) | Q(status=ChargeStatus.SUCCEEDED))
        .order_by("-created_at", "-pk")[:limit]
    )
