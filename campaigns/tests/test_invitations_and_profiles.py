"""Suggested promoters, invitations to apply, and the promoter profile advertisers read."""

import pytest
from django.urls import reverse

from accounts.models import FollowerEstimate, Language, Notification, PromoterLanguage, User
from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from campaigns import invitations, services
from campaigns.models import CampaignInvitation
from campaigns.tests.factories import ApplicationFactory, CampaignFactory, PromoterCampaignFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def open_campaign():
    return CampaignFactory(consultant=True, awaiting_funding=True)


def test_the_owner_invites_a_promoter_who_is_notified_and_sees_it_on_the_campaign(client, open_campaign):
    promoter = PromoterFactory()

    invitation = invitations.invitation_create(
        campaign=open_campaign, promoter=promoter, actor=open_campaign.advertiser
    )

    notification = Notification.objects.get(user=promoter, kind="campaign_invitation")
    assert open_campaign.title in notification.title
    assert notification.url == reverse("campaigns:promoter_detail", args=[open_campaign.public_id])
    client.force_login(promoter)
    response = client.get(notification.url)
    assert "invited you to apply" in response.content.decode()

    services.application_create(campaign=open_campaign, promoter=promoter, amount_cents=20_000, pitch="Yes!")
    invitation.refresh_from_db()
    assert invitation.status == "applied"


def test_a_second_invitation_is_refused_with_a_clear_message(client, open_campaign):
    promoter = PromoterFactory()
    client.force_login(open_campaign.advertiser)
    url = reverse("campaigns:invite", args=[open_campaign.public_id])

    client.post(url, {"promoter": str(promoter.public_id)})
    response = client.post(url, {"promoter": str(promoter.public_id)}, follow=True)

    assert f"You already invited {promoter.display_name} to this campaign." in response.content.decode()
    assert CampaignInvitation.objects.count() == 1
    assert Notification.objects.filter(user=promoter).count() == 1


def test_only_the_owner_invites_and_only_to_an_open_campaign(client, open_campaign):
    promoter, stranger = PromoterFactory(), AdvertiserFactory()
    with pytest.raises(services.NotAllowed):
        invitations.invitation_create(campaign=open_campaign, promoter=promoter, actor=stranger)
    client.force_login(stranger)
    response = client.post(
        reverse("campaigns:invite", args=[open_campaign.public_id]), {"promoter": str(promoter.public_id)}
    )
    assert response.status_code == 404

    draft = CampaignFactory(consultant=True)
    with pytest.raises(services.CampaignNotOpen):
        invitations.invitation_create(campaign=draft, promoter=promoter, actor=draft.advertiser)
    applied = ApplicationFactory(campaign=open_campaign).promoter
    with pytest.raises(invitations.AlreadyInvited, match="already applied"):
        invitations.invitation_create(campaign=open_campaign, promoter=applied, actor=open_campaign.advertiser)
    assert not CampaignInvitation.objects.exists()


def test_bad_promoter_ids_are_a_404_not_a_500(client, open_campaign):
    client.force_login(open_campaign.advertiser)
    url = reverse("campaigns:invite", args=[open_campaign.public_id])
    assert client.post(url, {"promoter": "not-a-uuid"}).status_code == 404
    assert client.post(url, {"promoter": str(open_campaign.advertiser.public_id)}).status_code == 404


def test_suggested_promoters_panel_ranks_and_offers_invitations(client, open_campaign):
    spanish = Language.objects.get(code="es")
    open_campaign.languages.set([spanish])
    fit = PromoterFactory()
    PromoterLanguage.objects.create(promoter=fit.promoter_details, language=spanish)
    FollowerEstimate.objects.create(promoter=fit.promoter_details, platform="youtube", followers=12_000)
    PromoterFactory()
    client.force_login(open_campaign.advertiser)

    response = client.get(
        reverse("campaigns:suggested_promoters", args=[open_campaign.public_id]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert "<html" not in html  # the partial only
    assert html.index(fit.promoter_details.display_name) < html.index("Invite to apply")
    assert "speaks Spanish" in html and "12k followers on YouTube" in html


def test_promoter_profile_shows_audience_skills_figures_and_past_campaigns(client):
    participation = PromoterCampaignFactory()
    promoter = participation.promoter
    FollowerEstimate.objects.create(promoter=promoter.promoter_details, platform="tiktok", followers=80_000)
    User.objects.filter(pk=promoter.pk).update(campaigns_completed=9, campaigns_cancelled=1)
    client.force_login(participation.campaign.advertiser)

    detail = client.get(reverse("campaigns:participation_detail", args=[participation.public_id])).content.decode()
    profile_url = reverse("campaigns:promoter_profile", args=[promoter.public_id])
    assert profile_url in detail
    html = client.get(profile_url).content.decode()

    assert "TikTok" in html and "80,000" in html
    assert "9 of 10 campaigns completed" in html
    assert participation.campaign.title in html


def test_a_profile_names_only_the_viewers_own_campaigns_among_the_past_ones(client):
    """Whom a promoter works for is each advertiser's business: another advertiser sees the
    campaign's type, month and outcome, not its title or its advertiser."""
    theirs = PromoterCampaignFactory()
    promoter = theirs.promoter
    mine = PromoterCampaignFactory(promoter=promoter)
    viewer = mine.campaign.advertiser
    client.force_login(viewer)

    html = client.get(reverse("campaigns:promoter_profile", args=[promoter.public_id])).content.decode()

    assert mine.campaign.title in html
    assert theirs.campaign.title not in html
    assert theirs.campaign.advertiser.display_name not in html
    assert html.count("Another advertiser") == 1
    client.force_login(promoter)
    own = client.get(reverse("campaigns:promoter_profile", args=[promoter.public_id])).content.decode()
    assert theirs.campaign.title in own and mine.campaign.title in own


def test_application_rows_link_to_the_profile_and_promoters_see_only_their_own(client):
    application = ApplicationFactory()
    client.force_login(application.campaign.advertiser)
    page = client.get(
        reverse("campaigns:advertiser_detail", args=[application.campaign.public_id]) + "?tab=applications"
    ).content.decode()
    assert reverse("campaigns:promoter_profile", args=[application.promoter.public_id]) in page

    other = PromoterFactory()
    client.force_login(other)
    assert client.get(reverse("campaigns:promoter_profile", args=[application.promoter.public_id])).status_code == 403
    own = client.get(reverse("campaigns:promoter_profile", args=[other.public_id]))
    assert own.status_code == 200
    assert other.promoter_details.display_name in own.text
    assert application.promoter.promoter_details.display_name not in own.text
