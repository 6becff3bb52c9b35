"""What a promoter sees right after joining, and earnings for views not credited yet (issue 19)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import PromoterFactory
from campaigns.models import PromoterCampaign
from tests.support.tracking import join, salesman_campaign, visibility_campaign
from tracking.models import CouponCode

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_joining_a_visibility_campaign_shows_the_full_link_with_a_copy_button():
    campaign = visibility_campaign()
    promoter = PromoterFactory()

    response = _client(promoter).post(reverse("campaigns:join", args=[campaign.public_id]), follow=True)

    participation = PromoterCampaign.objects.get(campaign=campaign, promoter=promoter)
    link = "http://testserver" + reverse("tracking:view_link", args=[participation.tracking_code])
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("tracking:promoter_participation", args=[participation.public_id])
    assert f'data-copy="{link}"' in page
    assert "You joined." in page
    assert "tracking code is" not in page


def test_joining_a_coupon_campaign_shows_the_coupon_not_the_tracking_code_as_coupon():
    campaign = salesman_campaign(tracking_method="both")
    promoter = PromoterFactory()

    page = _client(promoter).post(reverse("campaigns:join", args=[campaign.public_id]), follow=True).content.decode()

    coupon = CouponCode.objects.get(participation__promoter=promoter)
    participation = coupon.participation
    assert f'data-copy="{coupon.code}"' in page
    assert "http://testserver" + reverse("tracking:referral_link", args=[participation.tracking_code]) in page


def test_counted_views_not_yet_credited_show_an_estimate_and_when():
    campaign = visibility_campaign(cpv=300)
    participation = join(campaign)
    PromoterCampaign.objects.filter(pk=participation.pk).update(views_generated=250)  # counted, not accrued
    client = _client(participation.promoter)

    tracking_page = client.get(reverse("tracking:promoter_participation", args=[participation.public_id]))
    workspace = client.get(reverse("campaigns:participation_detail", args=[participation.public_id]))

    for page in (tracking_page.content.decode(), workspace.content.decode()):
        assert "About <strong>$7.50</strong> more for views already counted" in page
        assert "within the hour" in page


def test_no_estimate_once_the_views_are_credited():
    campaign = visibility_campaign(cpv=300)
    participation = join(campaign)
    PromoterCampaign.objects.filter(pk=participation.pk).update(views_generated=250, spent_budget=750)

    page = _client(participation.promoter).get(
        reverse("tracking:promoter_participation", args=[participation.public_id])
    )

    assert "more for views already counted" not in page.content.decode()
