"""Rate suggestions, each with the workings that produced it.

- A promoter's proposed amount (apply form): their audience on the platforms the campaign targets
  (all their platforms when it targets none) times the per-platform reference rates staff keep
  in admin (`PlatformReferenceRate`), and, when at least `MIN_SIMILAR` offers were accepted on
  similar campaigns (same type, same category), the middle half of those amounts. Both, when
  both exist, are averaged; the result stays within the campaign's budget range.
- An advertiser's rate (campaign form): the median rate per 100 views or commission of funded
  campaigns of the type (in the category when it has `MIN_SIMILAR`), else a documented default;
  for Consultant/Seller the middle half of accepted amounts.

Integer cents throughout; percentiles are nearest-rank on the sorted amounts.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from accounts.models import FollowerEstimate, SocialPlatform
from campaignplatform.money import dollars
from campaigns.models import (
    APPLICATION_TYPES,
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignStatus,
    CampaignType,
    PlatformReferenceRate,
)

MIN_SIMILAR = 5
AUDIENCE_SPREAD_PERCENT = 20  # the audience estimate is a range: +/- 20%
FUNDED_STATUSES = (CampaignStatus.ACTIVE, CampaignStatus.PAUSED, CampaignStatus.COMPLETED)
# When the platform has too few funded campaigns to learn from: the seed's worked example
# ($3 per 100 views) and a common affiliate commission.
DEFAULT_CPV_CENTS = 300
DEFAULT_COMMISSION_PERCENT = Decimal("10.00")
PLATFORM_LABELS = dict(SocialPlatform.choices)


@dataclass
class Suggestion:
    low: int  # cents (or hundredths of a percent for commissions: see `unit`)
    high: int
    workings: list[str] = field(default_factory=list)
    unit: str = "cents"

    @property
    def middle(self) -> int:
        return (self.low + self.high) // 2


def _percentile(sorted_values: list[int], percent: int) -> int:
    """Nearest-rank percentile of integers (no interpolation, no floats)."""
    rank = max(1, -(-len(sorted_values) * percent // 100))
    return sorted_values[rank - 1]


# --- Apply form ------------------------------------------------------------------------------------


def _audience_part(campaign: Campaign, followers: dict[str, int]) -> tuple[Suggestion | None, list[str]]:
    rates = dict(PlatformReferenceRate.objects.values_list("platform", "cents_per_thousand_followers"))
    platforms = [p for p in (campaign.platforms or list(followers)) if followers.get(p) and p in rates]
    if not platforms:
        return None, []
    lines, value = [], 0
    for platform in platforms:
        part = followers[platform] * rates[platform] // 1000
        value += part
        lines.append(
            f"{followers[platform]:,} followers on {PLATFORM_LABELS[platform]} x "
            f"{dollars(rates[platform])} per 1,000 = {dollars(part)}"
        )
    spread = value * AUDIENCE_SPREAD_PERCENT // 100
    lines.append(
        f"Audience value {dollars(value)}, ± {AUDIENCE_SPREAD_PERCENT}%: "
        f"{dollars(value - spread)} to {dollars(value + spread)}"
    )
    return Suggestion(value - spread, value + spread), lines


def _accepted_amounts(campaign_type: str, category_id) -> tuple[list[int], bool]:
    """Accepted amounts of the type, in the category when it has enough; (amounts, in category)."""
    accepted = CampaignApplication.objects.filter(
        status=ApplicationStatus.ACCEPTED, campaign__campaign_type=campaign_type
    ).values_list("current_amount", flat=True)
    if category_id is not None:
        in_category = sorted(accepted.filter(campaign__category_id=category_id))
        if len(in_category) >= MIN_SIMILAR:
            return in_category, True
    return sorted(accepted), False


def _similar_part(campaign: Campaign) -> tuple[Suggestion | None, list[str]]:
    amounts, in_category = _accepted_amounts(campaign.campaign_type, campaign.category_id)
    if len(amounts) < MIN_SIMILAR:
        return None, []
    low, high = _percentile(amounts, 25), _percentile(amounts, 75)
    where = f" in {campaign.category}" if in_category else ""
    line = (
        f"{len(amounts)} accepted {campaign.get_campaign_type_display()} offers{where}: "
        f"the middle half is {dollars(low)} to {dollars(high)}"
    )
    return Suggestion(low, high), [line]


def promoter_followers(user) -> dict[str, int]:
    return dict(FollowerEstimate.objects.filter(promoter__user=user).values_list("platform", "followers"))


def application_amount_suggestion(*, campaign: Campaign, followers: dict[str, int]) -> Suggestion | None:
    """A range for a promoter's proposed amount, or None when there is nothing to go on."""
    audience, audience_lines = _audience_part(campaign, followers)
    similar, similar_lines = _similar_part(campaign)
    parts = [part for part in (audience, similar) if part]
    if not parts:
        return None
    low = sum(part.low for part in parts) // len(parts)
    high = sum(part.high for part in parts) // len(parts)
    workings = audience_lines + similar_lines
    if len(parts) == 2:
        workings.append(f"Average of both: {dollars(low)} to {dollars(high)}")
    clamped_low = min(max(low, campaign.min_budget), campaign.max_budget)
    clamped_high = min(max(high, campaign.min_budget), campaign.max_budget)
    if (clamped_low, clamped_high) != (low, high):
        workings.append(
            f"Kept within the campaign's budget of {dollars(campaign.min_budget)} to {dollars(campaign.max_budget)}"
        )
    return Suggestion(clamped_low, clamped_high, workings)


# --- Campaign form ---------------------------------------------------------------------------------


def _funded(campaign_type: str, category_id):
    funded = Campaign.objects.filter(campaign_type=campaign_type, status__in=FUNDED_STATUSES)
    if category_id is not None:
        in_category = funded.filter(category_id=category_id)
        if in_category.count() >= MIN_SIMILAR:
            return in_category, True
    return funded, False


def campaign_rate_suggestion(*, campaign_type: str, category=None) -> Suggestion | None:
    """The rate to offer for a new campaign, with where it comes from."""
    category_id = category.pk if category else None
    if campaign_type in APPLICATION_TYPES:
        amounts, in_category = _accepted_amounts(campaign_type, category_id)
        if len(amounts) < MIN_SIMILAR:
            return None
        low, high = _percentile(amounts, 25), _percentile(amounts, 75)
        where = f" in {category}" if in_category else ""
        return Suggestion(
            low, high, [f"{len(amounts)} accepted offers{where}: middle half {dollars(low)} to {dollars(high)}"]
        )
    funded, in_category = _funded(campaign_type, category_id)
    where = f" in {category}" if in_category else ""
    label = CampaignType(campaign_type).label
    if campaign_type == CampaignType.VISIBILITY:
        rates = sorted(funded.values_list("cpv", flat=True))
        if len(rates) < MIN_SIMILAR:
            default = dollars(DEFAULT_CPV_CENTS)
            line = f"Fewer than {MIN_SIMILAR} funded {label} campaigns yet: the default {default} per 100 views"
            return Suggestion(DEFAULT_CPV_CENTS, DEFAULT_CPV_CENTS, [line])
        median = _percentile(rates, 50)
        line = f"Median of {len(rates)} funded {label} campaigns{where}: {dollars(median)} per 100 views"
        return Suggestion(median, median, [line])
    commissions = sorted(int(rate * 100) for rate in funded.values_list("commission_per_sale", flat=True))
    if len(commissions) < MIN_SIMILAR:
        default = int(DEFAULT_COMMISSION_PERCENT * 100)
        line = f"Fewer than {MIN_SIMILAR} funded {label} campaigns yet: the default {DEFAULT_COMMISSION_PERCENT}%"
        return Suggestion(default, default, [line], unit="basis_points")
    median = _percentile(commissions, 50)
    line = f"Median of {len(commissions)} funded {label} campaigns{where}: {Decimal(median) / 100:.2f}%"
    return Suggestion(median, median, [line], unit="basis_points")
