"""Platform fee plans: which plan applies to a campaign, and the fee arithmetic, in one place.

A plan is a percentage of the budget (in basis points: 1000 = 10%), a fixed amount per unit of
spend, or both. The unit follows the campaign type: per 100 views (Visibility), per sale
(Salesman), per milestone payment (Consultant, Seller). Staff set a default plan per campaign
type and overrides per advertiser in admin; a plan is never edited, a newer one supersedes it
(who and when are on each row). The plan in force is copied onto the campaign
(`CampaignFeeTerms`) when its funding starts, so a later change applies to new campaigns only.

The percentage is charged on top of the budget at funding, recognised as promoters earn the
budget and refunded in proportion with unused budget (billing.services). A fixed amount per 100
views is charged on top at funding too, for the views the payment buys (known then). The count
of sales and milestone payments is not known at funding, so their fixed amount is taken from
the campaign budget at each spend instead (`campaign_budget_spend`), in the spend's own ledger
transaction, and given back to the budget if the spend is reversed (a refunded sale). A
Consultant/Seller budget is the agreed amount, which its milestones add up to, so funding adds a
milestone fee reserve to it: the fixed amount for each milestone planned by then, at least one
(`FeeTerms.fee_reserve_cents`); what the fees do not use is refunded with the unused budget.

A leaf module: it imports only billing.models, Django and campaignplatform, so a campaign form
can show the fee without importing billing's services.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from billing.models import CampaignFeeTerms, FeePlan
from campaignplatform.money import dollars
from campaignplatform.payment_limits import percent_fee_cents

VIEWS_PER_UNIT = 100
UNIT_LABELS = {
    "visibility": "per 100 views",
    "salesman": "per sale",
    "consultant": "per milestone payment",
    "seller": "per milestone payment",
}
# Types whose fixed amount is taken from the budget at each spend (unknown count at funding),
# with what each spend is called.
PER_SPEND_UNITS = {"salesman": "sale", "consultant": "milestone", "seller": "milestone"}
# Types whose budget is exactly what the promoter is owed (the agreed amount): funding adds a
# reserve for their fixed fee per spend, or the fees would leave the last milestone unpaid.
RESERVED_PER_SPEND = ("consultant", "seller")


@dataclass(frozen=True)
class FeeTerms:
    percent_bp: int
    fixed_cents: int = 0
    campaign_type: str = ""

    @property
    def fixed_per_spend_cents(self) -> int:
        """The fixed amount taken from the budget at each sale or milestone payment; 0 where it
        is charged on top at funding (per 100 views) or there is none."""
        return self.fixed_cents if self.campaign_type in PER_SPEND_UNITS else 0

    @property
    def reserves_fee_per_spend(self) -> bool:
        """Whether funding adds a milestone fee reserve (a fixed fee per milestone payment)."""
        return bool(self.fixed_per_spend_cents) and self.campaign_type in RESERVED_PER_SPEND

    def fee_reserve_cents(self, milestones: int) -> int:
        """The milestone fee reserve a funding payment adds to the budget: the fixed fee for
        each of the `milestones` planned, at least one (milestones may be planned later); 0
        without a reserved fee."""
        return self.fixed_cents * max(1, milestones) if self.reserves_fee_per_spend else 0

    def describe_reserve(self, reserve_cents: int) -> str:
        """'Milestone fees: 3 x $0.50, taken as each milestone is paid; what is not used is refunded'."""
        count = reserve_cents // self.fixed_cents if self.fixed_cents else 0
        return (
            f"Milestone fees: {count} x {dollars(self.fixed_cents)}, taken as each milestone is paid; "
            "what is not used is refunded"
        )

    def describe_reserve_rule(self) -> str:
        """What funding will add, before any milestone is known (the campaign form's preview)."""
        if not self.reserves_fee_per_spend:
            return ""
        return (
            f"Milestone fees: {dollars(self.fixed_cents)} for each milestone you plan (at least one), added when "
            "you fund and taken as each milestone is paid; what is not used is refunded"
        )

    def describe(self) -> str:
        """'10%', '$0.50 per 100 views', '8% + $0.50 per sale'."""
        parts = []
        if self.percent_bp or not self.fixed_cents:
            whole, rest = divmod(self.percent_bp, 100)
            parts.append(f"{whole}.{rest:02d}".rstrip("0").rstrip(".") + "%")
        if self.fixed_cents:
            parts.append(self.describe_fixed())
        return " + ".join(parts)

    def describe_fixed(self) -> str:
        """'$0.50 per sale'."""
        return f"{dollars(self.fixed_cents)} {UNIT_LABELS.get(self.campaign_type, 'per unit')}"

    def describe_at_funding(self) -> str:
        """What a payment's fee is charged for: the terms less a fixed amount per spend."""
        if not self.fixed_per_spend_cents:
            return self.describe()
        return FeeTerms(self.percent_bp, 0, self.campaign_type).describe()

    def describe_per_spend(self) -> str:
        """'$0.50 per sale, taken from the budget as each sale is paid', or '' when none."""
        if not self.fixed_per_spend_cents:
            return ""
        return f"{self.describe_fixed()}, taken from the budget as each {PER_SPEND_UNITS[self.campaign_type]} is paid"


def default_terms(campaign_type: str = "") -> FeeTerms:
    return FeeTerms(percent_bp=settings.PLATFORM_FEE_PERCENT * 100, campaign_type=campaign_type)


def plan_in_force(*, campaign_type: str, advertiser_id: int | None) -> FeePlan | None:
    """The newest active override for the advertiser (for this type or any), else the newest
    active default for the campaign type, else None (the settings' percentage)."""
    plans = FeePlan.objects.filter(active=True).order_by("-created_at", "-pk")
    if advertiser_id is not None:
        override = plans.filter(advertiser_id=advertiser_id).filter(
            Q(campaign_type=campaign_type) | Q(campaign_type="")
        )
        # One for this type beats one for every type.
        chosen = override.filter(campaign_type=campaign_type).first() or override.first()
        if chosen is not None:
            return chosen
    return plans.filter(advertiser__isnull=True, campaign_type=campaign_type).first()


def terms_of_plan(plan: FeePlan | None, campaign_type: str) -> FeeTerms:
    if plan is None:
        return default_terms(campaign_type)
    return FeeTerms(percent_bp=plan.percent_bp, fixed_cents=plan.fixed_cents, campaign_type=campaign_type)


def campaign_fixed_fee_per_spend(campaign) -> int:
    """Cents each spend of the campaign (a sale, a milestone payment) takes from its budget as
    platform fee: the terms fixed when its funding started (none if it has none)."""
    fixed = CampaignFeeTerms.objects.filter(campaign_id=campaign.pk).values_list("fixed_cents", flat=True).first()
    return FeeTerms(0, fixed or 0, campaign.campaign_type).fixed_per_spend_cents


def campaign_fee_terms(campaign) -> FeeTerms:
    """The campaign's fixed terms once its funding started, else the plan in force now."""
    fixed = CampaignFeeTerms.objects.filter(campaign_id=campaign.pk).first()
    if fixed is not None:
        return FeeTerms(fixed.percent_bp, fixed.fixed_cents, campaign.campaign_type)
    plan = plan_in_force(campaign_type=campaign.campaign_type, advertiser_id=campaign.advertiser_id)
    return terms_of_plan(plan, campaign.campaign_type)


def fee_units(*, campaign_type: str, views: int | None = None) -> int:
    """Units of spend a payment buys that the fixed amount applies to (views: per 100, rounded up)."""
    if campaign_type == "visibility" and views:
        return -(-views // VIEWS_PER_UNIT)
    return 0


def platform_fee_cents(budget_cents: int, *, terms: FeeTerms | None = None, units: int = 0) -> int:
    """The fee on a budget: its percentage rounded half up to the cent, plus the fixed amount
    per unit. Integers only."""
    terms = terms or default_terms()
    return percent_fee_cents(budget_cents, terms.percent_bp) + terms.fixed_cents * units


@dataclass(frozen=True)
class FeeQuote:
    budget_cents: int
    percent_cents: int
    fixed_cents: int
    units: int
    terms: FeeTerms

    @property
    def fee_cents(self) -> int:
        return self.percent_cents + self.fixed_cents

    @property
    def total_cents(self) -> int:
        return self.budget_cents + self.fee_cents


def fee_quote(*, budget_cents: int, terms: FeeTerms, views: int | None = None) -> FeeQuote:
    """The fee on a budget, itemised (percentage part, fixed part), for quotes and previews."""
    units = fee_units(campaign_type=terms.campaign_type, views=views)
    percent = platform_fee_cents(budget_cents, terms=FeeTerms(terms.percent_bp))
    return FeeQuote(
        budget_cents=budget_cents,
        percent_cents=percent,
        fixed_cents=terms.fixed_cents * units,
        units=units,
        terms=terms,
    )


def campaign_fee_terms_many(campaigns) -> dict[int, FeeTerms]:
    """{campaign id: its fee terms} in one query, for statements listing many campaigns. A
    campaign funded before fee plans existed has no fixed terms: it paid the settings' percentage."""
    fixed = {row.campaign_id: row for row in CampaignFeeTerms.objects.filter(campaign__in=[c.pk for c in campaigns])}
    terms = {}
    for campaign in campaigns:
        row = fixed.get(campaign.pk)
        terms[campaign.pk] = (
            FeeTerms(row.percent_bp, row.fixed_cents, campaign.campaign_type)
            if row
            else default_terms(campaign.campaign_type)
        )
    return terms
