"""Funding quotes: what a campaign's first payment or top-up costs, fee plan included."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing import fees
from billing.models import (
    CampaignFeeTerms,
    IntentPurpose,
)
from billing.services.base import (
    SALESMAN_MIN_BUDGET_CENTS,
    STRIPE_MINIMUM_CENTS,
    FundingNotAllowed,
)
from billing.services.reserve import milestone_fee_reserve_cents
from campaignplatform import payment_limits as limits
from campaignplatform.money import dollars
from campaigns.models import (
    APPLICATION_TYPES,
    MAX_BUDGET_CENTS,
    MAX_VIEWS,
    Campaign,
    CampaignStatus,
    CampaignType,
    PromoterCampaign,
)


@dataclass(frozen=True)
class FundingQuote:
    """What the advertiser pays, itemised, before paying it."""

    purpose: str
    budget_cents: int
    fee_cents: int
    total_cents: int
    fee_percent: int
    fee_label: str = ""  # what the fee charged now is for: "10%", "5% + $0.50 per 100 views"
    fee_fixed_cents: int = 0
    # A fixed fee per sale, taken from the budget as each is paid (not charged now): "$0.50 per
    # sale, taken from the budget as each sale is paid", or "".
    fee_per_spend_label: str = ""
    # Consultant/Seller under a fixed fee per milestone payment: that fee for each milestone
    # planned (at least one), charged now into the budget and taken as each milestone is paid.
    fee_reserve_cents: int = 0
    fee_reserve_label: str = ""
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
    fee_terms = fees.campaign_fee_terms(campaign)
    itemised = fees.fee_quote(budget_cents=budget, terms=fee_terms, views=extra.get("views"))
    fee = itemised.fee_cents
    reserve = milestone_fee_reserve_cents(campaign, terms=fee_terms)
    total = budget + fee + reserve
    if budget <= 0 or total < STRIPE_MINIMUM_CENTS:
        raise FundingNotAllowed(f"The amount to pay must be at least {dollars(STRIPE_MINIMUM_CENTS)}.")
    if total > limits.MAXIMUM_AMOUNT:
        later = {
            CampaignType.SALESMAN: " Fund part of it now and top up the rest later.",
            CampaignType.VISIBILITY: " Buy fewer views now and more later." if purpose == IntentPurpose.TOP_UP else "",
        }.get(campaign.campaign_type, "")
        raise FundingNotAllowed(
            f"This payment would be {dollars(total)}. {limits.too_large_for_one_payment_message()}{later}"
        )
    return FundingQuote(
        purpose=purpose,
        budget_cents=budget,
        fee_cents=fee,
        total_cents=total,
        fee_percent=fee_terms.percent_bp // 100,
        fee_label=fee_terms.describe_at_funding(),
        fee_fixed_cents=itemised.fixed_cents,
        # A reserved fee is itemised as the reserve instead: it is part of this payment.
        fee_per_spend_label="" if fee_terms.reserves_fee_per_spend else fee_terms.describe_per_spend(),
        fee_reserve_cents=reserve,
        fee_reserve_label=fee_terms.describe_reserve(reserve) if reserve else "",
        **extra,
    )


def campaign_fee_terms_fix(*, campaign: Campaign) -> None:
    """Fix the fee plan on the campaign when its funding starts (the quote the advertiser saw
    used it); a plan changed later applies to new campaigns only, and each sale or milestone
    payment of the campaign takes the fixed fee fixed here."""
    if CampaignFeeTerms.objects.filter(campaign=campaign).exists():
        return
    plan = fees.plan_in_force(campaign_type=campaign.campaign_type, advertiser_id=campaign.advertiser_id)
    terms = fees.terms_of_plan(plan, campaign.campaign_type)
    CampaignFeeTerms.objects.get_or_create(
        campaign=campaign, defaults={"plan": plan, "percent_bp": terms.percent_bp, "fixed_cents": terms.fixed_cents}
    )
