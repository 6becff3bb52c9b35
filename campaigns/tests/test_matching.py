"""Match score: order and reasons, computed in the database and worded for the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AdvertiserType, FollowerEstimate, Language, PromoterLanguage, PromoterSkill, Skill, User
from accounts.tests.factories import PromoterFactory
from campaigns import matching
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def spanish_video_promoter():
    promoter = PromoterFactory()
    details = promoter.promoter_details
    PromoterLanguage.objects.create(promoter=details, language=Language.objects.get(code="es"))
    PromoterSkill.objects.create(promoter=details, skill=Skill.objects.get(slug="video-production"))
    FollowerEstimate.objects.create(promoter=details, platform="youtube", followers=12_000)
    FollowerEstimate.objects.create(promoter=details, platform="instagram", followers=300)
    User.objects.filter(pk=promoter.pk).update(campaigns_completed=9, campaigns_cancelled=1)
    promoter.refresh_from_db()
    return promoter


def _campaign(title, *, languages=(), skills=(), platforms=(), **kwargs):
    campaign = CampaignFactory(active=True, title=title, platforms=list(platforms), **kwargs)
    campaign.languages.set(Language.objects.filter(code__in=languages))
    campaign.skills.set(Skill.objects.filter(slug__in=skills))
    return campaign


def test_campaign_asking_for_what_the_promoter_has_ranks_first_with_its_reasons(spanish_video_promoter):
    fit = _campaign("Fit", languages=["es"], skills=["video-production"], platforms=["youtube"])
    neutral = _campaign("Neutral")
    wrong = _campaign("Wrong", languages=["ja"], skills=["seo", "podcasting"], platforms=["tiktok"])
    profile = matching.promoter_profile(spanish_video_promoter)

    ranked = list(matching.campaigns_best_match(Campaign.objects.listed(), profile))

    assert [c.title for c in ranked] == ["Fit", "Neutral", "Wrong"]
    match = matching.match_for(fit, profile)
    assert [reason.text for reason in match.reasons] == [
        "skilled in Video production",
        "speaks Spanish",
        "12k followers on YouTube",
        "9 of 10 campaigns completed",
    ]
    # The database and Python agree on every score: what the card shows is what was sorted on.
    assert {c.title: c.match_score for c in ranked} == {
        c.title: matching.match_for(c, profile).score for c in (fit, neutral, wrong)
    }
    assert ranked[0].match_score == 30 + 20 + 17 + 14


def test_audience_counts_only_on_the_platforms_the_campaign_targets(spanish_video_promoter):
    on_instagram = _campaign("Instagram", platforms=["instagram"])
    profile = matching.promoter_profile(spanish_video_promoter)

    reasons = [reason.text for reason in matching.match_for(on_instagram, profile).reasons]

    assert "300 followers on Instagram" in reasons
    assert not any("YouTube" in text for text in reasons)


def test_past_work_in_the_category_is_a_reason(spanish_video_promoter):
    outdoors = AdvertiserType.objects.get(slug="sports-outdoors")
    PromoterCampaignFactory(promoter=spanish_video_promoter, campaign=_campaign("Old", category=outdoors))
    new = _campaign("New", category=outdoors)
    profile = matching.promoter_profile(spanish_video_promoter)

    assert "has worked in Sports & Outdoors" in [r.text for r in matching.match_for(new, profile).reasons]


def test_a_new_promoter_gets_a_neutral_track_record_and_no_track_reasons():
    profile = matching.promoter_profile(PromoterFactory())
    match = matching.match_for(_campaign("Any"), profile)
    assert match.score == 15 + 10 + 7
    assert match.reasons == []


def test_marketplace_best_match_page_costs_the_same_queries_for_3_or_12_campaigns(client, spanish_video_promoter):
    client.force_login(spanish_video_promoter)
    for index in range(3):
        _campaign(f"C{index}", languages=["es"], skills=["seo"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("campaigns:marketplace")).status_code == 200
    for index in range(9):
        _campaign(f"D{index}", languages=["fr"], skills=["video-production"], platforms=["youtube"])
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("campaigns:marketplace"))

    assert len(many) == len(few)
    html = response.content.decode()
    assert "speaks Spanish" in html and "12k followers on YouTube" in html
    assert "Left to earn" in html


def test_other_orders_and_a_bad_order_value(client, spanish_video_promoter):
    client.force_login(spanish_video_promoter)
    _campaign("Cheap", cpv=100, max_views=1000)
    _campaign("Dear", cpv=900, max_views=50)
    url = reverse("campaigns:marketplace")

    def titles(order):
        response = client.get(url, {"order": order})
        assert response.status_code == 200
        return [c.title for c in response.context["page"]]

    assert titles("rate") == ["Dear", "Cheap"]
    assert titles("views_left") == ["Cheap", "Dear"]
    assert titles("budget") == ["Cheap", "Dear"]  # $10.00 of budget against $4.50
    assert titles("nonsense") == titles("best")


def test_suggested_promoters_rank_the_fitting_promoter_first_with_reasons(spanish_video_promoter):
    PromoterFactory()  # no languages, skills or audience
    campaign = _campaign("Fit", languages=["es"], skills=["video-production"], platforms=["youtube"], consultant=True)

    suggested = matching.promoters_best_match(campaign)

    assert suggested[0] == spanish_video_promoter
    assert suggested[0].match_score == suggested[0].match.score == 30 + 20 + 17 + 14
    assert "speaks Spanish" in [r.text for r in suggested[0].match.reasons]
    assert suggested[1].match_score == 0 + 0 + 0 + 7
