"""Editing a campaign: a draft's terms change through the form and the service; anything else
(a published campaign, someone else's, bad input) changes nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Language
from campaigns import services
from campaigns.models import Campaign, CampaignStatus
from campaigns.tests.factories import CampaignFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

TODAY = timezone.localdate()


def _edit_data(**overrides):
    data = {
        "title": "Summer launch",
        "description": "Our summer range",
        "target_url": "https://example.com/summer",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + datetime.timedelta(days=40)).isoformat(),
        "cpv_dollars": "4.50",
        "max_views": "3000",
        "languages": [Language.objects.get(code="es").pk],
    }
    data.update(overrides)
    return data


def test_a_draft_is_edited_terms_languages_and_all(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser)
    before = Campaign.objects.get(pk=campaign.pk).updated_at

    response = advertiser_client.post(reverse("campaigns:edit", args=[campaign.public_id]), _edit_data())

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.title, campaign.cpv, campaign.max_views) == ("Summer launch", 450, 3000)
    assert campaign.end_date == TODAY + datetime.timedelta(days=40)
    assert list(campaign.languages.values_list("code", flat=True)) == ["es"]
    assert campaign.updated_at > before


def test_bad_input_keeps_the_draft_as_it_was(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser)
    title, cpv = campaign.title, campaign.cpv

    response = advertiser_client.post(
        reverse("campaigns:edit", args=[campaign.public_id]), _edit_data(cpv_dollars="-3", title="Changed")
    )

    assert response.status_code == 200
    assert "Enter a positive amount." in response.content.decode()
    campaign.refresh_from_db()
    assert (campaign.title, campaign.cpv) == (title, cpv)


def test_a_published_campaign_cannot_be_edited(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, awaiting_funding=True)

    response = advertiser_client.post(reverse("campaigns:edit", args=[campaign.public_id]), _edit_data(), follow=True)

    assert "Only draft campaigns can be edited." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.title != "Summer launch" and campaign.status == CampaignStatus.AWAITING_FUNDING
    with pytest.raises(services.InvalidTransition):
        services.campaign_update(campaign=campaign, title="Sneaky")
    assert Campaign.objects.get(pk=campaign.pk).title != "Sneaky"


def test_someone_elses_campaign_is_a_404_and_unchanged(advertiser_client):
    campaign = CampaignFactory()

    response = advertiser_client.post(reverse("campaigns:edit", args=[campaign.public_id]), _edit_data())

    assert response.status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).title != "Summer launch"


def test_the_service_refuses_what_is_not_a_term(advertiser):
    campaign = CampaignFactory(advertiser=advertiser)
    with pytest.raises(TypeError, match="status"):
        services.campaign_update(campaign=campaign, status=CampaignStatus.ACTIVE)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
