"""The marketplace's orders: best match (a promoter's default), rate, newest, budget, views left;
and what each card has left to earn."""

from django import forms
from django.db.models import BigIntegerField, Case, F, When
from django.db.models.functions import Coalesce
from django.urls import reverse

from campaigns import matching
from campaigns.models import APPLICATION_TYPES, CampaignType

ORDER_CHOICES = [
    ("best", "Best match"),
    ("rate", "Highest rate"),
    ("newest", "Newest"),
    ("budget", "Largest budget"),
    ("views_left", "Most views left"),
]


class MarketplaceOrderForm(forms.Form):
    order = forms.ChoiceField(choices=ORDER_CHOICES, required=False, label="Order by")

    def order_value(self) -> str:
        """The chosen order; best match when none (or an unknown one) is asked for."""
        if not self.is_valid():
            return "best"
        return self.cleaned_data.get("order") or "best"


def _budget():
    # The campaign's promoter budget as its terms state it: Visibility rate x views, the top of a
    # Consultant/Seller range. A Salesman budget is topped up at will, so it sorts last.
    return Case(
        When(campaign_type=CampaignType.VISIBILITY, then=F("cpv") * F("max_views") / 100),
        When(campaign_type__in=APPLICATION_TYPES, then=F("max_budget")),
        output_field=BigIntegerField(),
    )


def _views_left():
    return Case(
        When(campaign_type=CampaignType.VISIBILITY, then=F("max_views") - F("paid_views")),
        output_field=BigIntegerField(),
    )


def _rate():
    # Rates of different types are not the same unit; within a type (the type filter) the order
    # is exact: cents per 100 views, top of the budget range, commission in hundredths of a percent.
    return Coalesce(F("cpv"), F("max_budget"), F("commission_per_sale") * 100, output_field=BigIntegerField())


def marketplace_order(campaigns, order: str, profile):
    if order == "best":
        return matching.campaigns_best_match(campaigns, profile)
    if order == "rate":
        return campaigns.annotate(sort_rate=_rate()).order_by(F("sort_rate").desc(nulls_last=True), "-id")
    if order == "budget":
        return campaigns.annotate(sort_budget=_budget()).order_by(F("sort_budget").desc(nulls_last=True), "-id")
    if order == "views_left":
        return campaigns.annotate(sort_views=_views_left()).order_by(F("sort_views").desc(nulls_last=True), "-id")
    return campaigns.order_by(F("published_at").desc(nulls_last=True), "-id")


def left_to_earn(campaign) -> dict:
    """What the campaign still pays promoters, as its card says it: views and their value for
    Visibility, the budget range for Consultant/Seller; Salesman's budget comes from billing."""
    if campaign.campaign_type == CampaignType.VISIBILITY:
        views = max(0, campaign.max_views - campaign.paid_views)
        return {"views": views, "cents": views * campaign.cpv // 100}
    if campaign.campaign_type in APPLICATION_TYPES:
        return {"cents": campaign.max_budget}
    return {}


def page_decorate(page, profile, *, best: bool) -> None:
    """What each card shows beyond its row: its link (used twice; reversed here once), what is
    left to earn, its languages' names and, in best-match order, the match and its reasons."""
    catalogue = matching.Catalogue.load()
    for campaign in page:
        campaign.detail_url = reverse("campaigns:promoter_detail", args=[campaign.public_id])
        campaign.left = left_to_earn(campaign)
        campaign.language_names = [name for _pk, name in catalogue.languages_of(campaign)]
    if best:
        matching.campaigns_match_page(page, profile, catalogue)
