"""Rate suggestions: the arithmetic and the workings shown with it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AdvertiserType, FollowerEstimate
from accounts.tests.factories import PromoterFactory
from campaigns import pricing
from campaigns.models import PlatformReferenceRate
from campaigns.tests.factories import ApplicationFactory, CampaignFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def test_reference_rates_are_seeded_with_their_notes():
    youtube = PlatformReferenceRate.objects.get(platform="youtube")
    assert youtube.cents_per_thousand_followers == 2000 and "$20 per 1,000" in youtube.note
    assert PlatformReferenceRate.objects.count() == 8


def test_audience_times_reference_rate_gives_a_range_with_its_workings():
    campaign = CampaignFactory(consultant=True, awaiting_funding=True, platforms=["youtube"], max_budget=100_000)

    suggestion = pricing.application_amount_suggestion(campaign=campaign, followers={"youtube": 12_000, "x": 500})

    assert (suggestion.low, suggestion.high) == (19_200, 28_800)
    assert suggestion.workings == [
        "12,000 followers on YouTube x $20.00 per 1,000 = $240.00",
        "Audience value $240.00, ± 20%: $192.00 to $288.00",
    ]


def test_accepted_offers_on_similar_campaigns_are_averaged_in_and_the_range_kept_within_budget():
    outdoors = AdvertiserType.objects.get(slug="sports-outdoors")
    for amount in (20_000, 30_000, 40_000, 50_000, 60_000):
        campaign = CampaignFactory(consultant=True, active=True, category=outdoors, max_budget=90_000)
        ApplicationFactory(campaign=campaign, proposed_amount=amount, status="accepted")
    campaign = CampaignFactory(
        consultant=True, awaiting_funding=True, category=outdoors, min_budget=25_000, max_budget=45_000
    )

    suggestion = pricing.application_amount_suggestion(campaign=campaign, followers={"instagram": 10_000})

    # Audience: 10,000 x $10 / 1,000 = $100 -> $80 - $120; similar: p25 $300, p75 $500.
    # Average: $190 - $310, then kept within $250 - $450.
    assert (suggestion.low, suggestion.high) == (25_000, 31_000)
    assert suggestion.workings[2:] == [
        "5 accepted Consultant offers in Sports & Outdoors: the middle half is $300.00 to $500.00",
        "Average of both: $190.00 to $310.00",
        "Kept within the campaign's budget of $250.00 to $450.00",
    ]


def test_no_audience_and_no_history_means_no_suggestion():
    campaign = CampaignFactory(consultant=True, awaiting_funding=True)
    assert pricing.application_amount_suggestion(campaign=campaign, followers={}) is None


def test_campaign_rate_uses_the_default_until_enough_campaigns_were_funded_then_their_median():
    suggestion = pricing.campaign_rate_suggestion(campaign_type="visibility")
    assert (suggestion.middle, suggestion.workings) == (
        300,
        ["Fewer than 5 funded Visibility campaigns yet: the default $3.00 per 100 views"],
    )
    for cpv in (100, 200, 400, 500, 900):
        CampaignFactory(active=True, cpv=cpv)
    CampaignFactory(cpv=5_000)  # a draft: not a rate anyone funded
    suggestion = pricing.campaign_rate_suggestion(campaign_type="visibility")
    assert (suggestion.middle, suggestion.workings) == (
        400,
        ["Median of 5 funded Visibility campaigns: $4.00 per 100 views"],
    )

    for rate in ("5", "8", "12.5", "15", "20"):
        CampaignFactory(salesman=True, active=True, commission_per_sale=Decimal(rate))
    assert pricing.campaign_rate_suggestion(campaign_type="salesman").middle == 1250


def test_apply_form_shows_the_range_and_starts_at_its_middle(client):
    promoter = PromoterFactory()
    FollowerEstimate.objects.create(promoter=promoter.promoter_details, platform="youtube", followers=12_000)
    campaign = CampaignFactory(consultant=True, awaiting_funding=True, platforms=["youtube"])
    client.force_login(promoter)

    html = client.get(reverse("campaigns:apply", args=[campaign.public_id])).content.decode()

    assert "Suggested: $192.00 to $288.00" in html
    assert "12,000 followers on YouTube x $20.00 per 1,000 = $240.00" in html
    assert 'value="240.00"' in html


def test_staff_edit_reference_rates_in_admin_and_suggestions_follow(admin_client):
    rate = PlatformReferenceRate.objects.get(platform="youtube")
    assert admin_client.get(reverse("admin:campaigns_platformreferencerate_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:campaigns_campaigninvitation_changelist")).status_code == 200

    response = admin_client.post(
        reverse("admin:campaigns_platformreferencerate_change", args=[rate.pk]),
        {"platform": "youtube", "cents_per_thousand_followers": "2500", "note": "Raised after a survey."},
    )

    assert response.status_code == 302
    campaign = CampaignFactory(consultant=True, awaiting_funding=True, platforms=["youtube"], max_budget=100_000)
    suggestion = pricing.application_amount_suggestion(campaign=campaign, followers={"youtube": 12_000})
    assert suggestion.workings[0] == "12,000 followers on YouTube x $25.00 per 1,000 = $300.00"
