"""Every page renders for the people allowed to see it."""

import pytest
from django.urls import reverse

from campaigns.models import CampaignType
from campaigns.tests.factories import (
    ApplicationFactory,
    CampaignFactory,
    DeliverableFactory,
    PromoterCampaignFactory,
    WorkFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("campaign_type", CampaignType.values)
@pytest.mark.parametrize("tab", ["overview", "participants", "applications", "work"])
def test_advertiser_detail_tabs_render(advertiser_client, advertiser, campaign_type, tab):
    campaign = CampaignFactory(advertiser=advertiser, campaign_type=campaign_type, active=True)
    if campaign.takes_applications:
        ApplicationFactory(campaign=campaign)
        participation = PromoterCampaignFactory(campaign=campaign, agreed_amount=30_000)
        WorkFactory(deliverable=DeliverableFactory(promoter_campaign=participation, status="submitted"))
    else:
        PromoterCampaignFactory(campaign=campaign)
    response = advertiser_client.get(reverse("campaigns:advertiser_detail", args=[campaign.public_id]), {"tab": tab})
    assert response.status_code == 200
    assert campaign.title in response.text


def test_advertiser_pages_render(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser)
    for url in [
        reverse("campaigns:advertiser_list"),
        reverse("campaigns:create"),
        reverse("campaigns:create") + "?type=salesman",
        reverse("campaigns:edit", args=[campaign.public_id]),
    ]:
        response = advertiser_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("campaign_type", CampaignType.values)
def test_promoter_pages_render(promoter_client, promoter, campaign_type):
    campaign = CampaignFactory(campaign_type=campaign_type, active=True)
    for url in [
        reverse("campaigns:marketplace"),
        reverse("campaigns:my_campaigns"),
        reverse("campaigns:my_applications"),
        reverse("campaigns:promoter_detail", args=[campaign.public_id]),
    ]:
        response = promoter_client.get(url)
        assert response.status_code == 200, url
        assert "Marketplace" in response.text


def test_shared_pages_render_for_both_parties(client, promoter):
    participation = PromoterCampaignFactory(selected=True, promoter=promoter)
    application = ApplicationFactory(campaign=participation.campaign, promoter=promoter, status="accepted")
    participation.application = application
    participation.save()
    WorkFactory(deliverable=DeliverableFactory(promoter_campaign=participation, status="submitted"))
    DeliverableFactory(promoter_campaign=participation)
    for user in (promoter, participation.campaign.advertiser):
        client.force_login(user)
        for url in [
            reverse("campaigns:application_detail", args=[application.public_id]),
            reverse("campaigns:participation_detail", args=[participation.public_id]),
        ]:
            response = client.get(url)
            assert response.status_code == 200, url
