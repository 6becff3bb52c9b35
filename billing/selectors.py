"""What billing's pages read: campaign budgets and charges."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, Sum

from billing.models import (
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

    @property
    def percent_spent(self):
        return min(100, self.spent * 100 // self.allocated) if self.allocated else 0


def allocation_sums_by_campaign(allocations) -> dict[int, dict]:
    """{campaign pk: {allocated, spent, refunded, fee, fee_refunded}} summed over `allocations`."""
    sums = (
        allocations.values("campaign_id")
        .annotate(
            allocated=Sum("allocated_amount"),
            spent=Sum("spent_amount"),
            refunded=Sum("refunded_amount"),
            fee=Sum("fee_amount"),
            fee_refunded=Sum("fee_refunded_amount"),
        )
        .order_by()
    )
    return {row["campaign_id"]: row for row in sums}


def campaign_budgets(*, advertiser) -> list[CampaignBudget]:
    """Allocated, spent, refunded and remaining budget per funded campaign of `advertiser`."""
    by_campaign = allocation_sums_by_campaign(CampaignBudgetAllocation.objects.filter(campaign__advertiser=advertiser))
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
