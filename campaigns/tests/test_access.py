"""Who can see and change what: other people's rows are 404, never 403 or 200."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.tests.factories import AdvertiserFactory, PromoterFactory, UserFactory
from campaigns import services
from campaigns.models import Campaign, CampaignStatus, CampaignWork, PromoterCampaign
from campaigns.tests.factories import (
    ApplicationFactory,
    CampaignFactory,
    DeliverableFactory,
    PromoterCampaignFactory,
    WorkFactory,
)

pytestmark = pytest.mark.django_db


def _work_with_file(participation):
    work = WorkFactory(deliverable=DeliverableFactory(promoter_campaign=participation, status="submitted"))
    work.original_filename = "brief.txt"
    work.file.save("brief.txt", ContentFile(b"hello"), save=True)
    return work


@pytest.fixture
def other_advertisers_rows():
    """Advertiser B's campaign, with an application, a participant, a milestone and a work file."""
    campaign = CampaignFactory(consultant=True, active=True, has_selected_promoter=True)
    application = ApplicationFactory(campaign=campaign, status="accepted")
    participation = PromoterCampaignFactory(
        campaign=campaign, promoter=application.promoter, application=application, agreed_amount=30_000
    )
    work = _work_with_file(participation)
    return {"campaign": campaign, "application": application, "participation": participation, "work": work}


def test_advertiser_cannot_see_or_change_another_advertisers_rows(advertiser_client, other_advertisers_rows):
    campaign = other_advertisers_rows["campaign"]
    application = other_advertisers_rows["application"]
    participation = other_advertisers_rows["participation"]
    work = other_advertisers_rows["work"]
    gets = [
        reverse("campaigns:advertiser_detail", args=[campaign.public_id]),
        reverse("campaigns:edit", args=[campaign.public_id]),
        reverse("campaigns:application_detail", args=[application.public_id]),
        reverse("campaigns:participation_detail", args=[participation.public_id]),
        reverse("campaigns:work_file", args=[work.public_id]),
    ]
    for url in gets:
        assert advertiser_client.get(url).status_code == 404, url
    posts = [
        reverse("campaigns:action", args=[campaign.public_id, "pause"]),
        reverse("campaigns:action", args=[campaign.public_id, "cancel"]),
        reverse("campaigns:application_action", args=[application.public_id, "message"]),
        reverse("campaigns:deliverable_create", args=[participation.public_id]),
        reverse("campaigns:work_review", args=[work.public_id, "approve"]),
        reverse("campaigns:work_review", args=[work.public_id, "reject"]),
    ]
    for url in posts:
        assert advertiser_client.post(url, {"reason": "x", "body": "x", "title": "x", "amount": "1"}).status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.ACTIVE
    assert CampaignWork.objects.get(pk=work.pk).status == "submitted"
    assert participation.deliverables.count() == 1


def test_other_promoter_cannot_see_application_participation_or_file(promoter_client, other_advertisers_rows):
    for url in [
        reverse("campaigns:application_detail", args=[other_advertisers_rows["application"].public_id]),
        reverse("campaigns:participation_detail", args=[other_advertisers_rows["participation"].public_id]),
        reverse("campaigns:work_file", args=[other_advertisers_rows["work"].public_id]),
    ]:
        assert promoter_client.get(url).status_code == 404, url


def test_both_parties_and_staff_can_download_the_work_file(client, other_advertisers_rows):
    work = other_advertisers_rows["work"]
    url = reverse("campaigns:work_file", args=[work.public_id])
    staff = UserFactory(is_staff=True)
    for user in (
        other_advertisers_rows["campaign"].advertiser,
        other_advertisers_rows["participation"].promoter,
        staff,
    ):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"hello"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Type"] == "application/octet-stream"


def test_promoter_cannot_approve_work(client, other_advertisers_rows):
    work = other_advertisers_rows["work"]
    promoter = other_advertisers_rows["participation"].promoter
    client.force_login(promoter)
    response = client.post(reverse("campaigns:work_review", args=[work.public_id, "approve"]))
    assert response.status_code == 403  # the advertiser-only page refuses the other role
    with pytest.raises(services.NotAllowed):
        services.work_approve(work=work, actor=promoter)
    assert CampaignWork.objects.get(pk=work.pk).status == "submitted"


def test_promoter_cannot_use_advertiser_pages(promoter_client):
    campaign = CampaignFactory()
    assert promoter_client.get(reverse("campaigns:advertiser_list")).status_code == 403
    assert promoter_client.get(reverse("campaigns:advertiser_detail", args=[campaign.public_id])).status_code == 403


def test_advertiser_cannot_use_promoter_pages(advertiser_client):
    campaign = CampaignFactory(active=True)
    assert advertiser_client.get(reverse("campaigns:marketplace")).status_code == 403
    assert advertiser_client.post(reverse("campaigns:join", args=[campaign.public_id])).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("campaigns:marketplace"))
    assert response.status_code == 302
    assert reverse("accounts:sign_in") in response["Location"]


def test_promoter_cannot_see_drafts_or_unlisted_campaigns(promoter_client):
    for campaign in (CampaignFactory(), CampaignFactory(completed=True), CampaignFactory(awaiting_funding=True)):
        url = reverse("campaigns:promoter_detail", args=[campaign.public_id])
        assert promoter_client.get(url).status_code == 404


@pytest.mark.parametrize("trait", ["awaiting_funding", "paused", "completed", "cancelled"])
def test_no_joining_a_campaign_that_is_not_active(promoter, trait):
    campaign = CampaignFactory(**{trait: True})
    with pytest.raises(services.CampaignNotOpen):
        services.campaign_join(campaign=campaign, promoter=promoter)
    assert not PromoterCampaign.objects.exists()


def test_join_page_refuses_a_paused_campaign_the_promoter_can_no_longer_see(promoter_client):
    campaign = CampaignFactory(paused=True)
    response = promoter_client.post(reverse("campaigns:join", args=[campaign.public_id]))
    assert response.status_code == 404
    assert not PromoterCampaign.objects.exists()


@pytest.mark.parametrize("trait", ["salesman", "visibility"])
def test_joining_gives_a_unique_tracking_code_once(promoter_client, promoter, trait):
    campaign = CampaignFactory(active=True, **({trait: True} if trait != "visibility" else {}))
    response = promoter_client.post(reverse("campaigns:join", args=[campaign.public_id]))
    participation = PromoterCampaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tracking:promoter_participation", args=[participation.public_id])
    assert len(participation.tracking_code) == 10
    other = services.campaign_join(campaign=campaign, promoter=PromoterFactory())
    assert other.tracking_code != participation.tracking_code
    with pytest.raises(services.AlreadyParticipating):
        services.campaign_join(campaign=campaign, promoter=promoter)
    assert PromoterCampaign.objects.count() == 2


def test_consultant_campaigns_are_not_joined_directly(promoter):
    with pytest.raises(services.CampaignNotOpen):
        services.campaign_join(campaign=CampaignFactory(consultant=True, active=True), promoter=promoter)


def test_advertiser_can_only_act_on_own_campaigns_via_services():
    campaign = CampaignFactory(consultant=True, active=True)
    participation = PromoterCampaignFactory(campaign=campaign, agreed_amount=10_000)
    with pytest.raises(services.NotAllowed):
        services.deliverable_create(
            promoter_campaign=participation,
            actor=AdvertiserFactory(),
            title="x",
            description="",
            amount_cents=100,
        )
