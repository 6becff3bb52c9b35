"""The advertiser's campaign pages: work tab, funding steps, ending and cancelling, applications, forms."""

import pytest
from django.urls import reverse

from accounts.models import Notification
from campaigns.models import CampaignStatus, ParticipationStatus
from campaigns.tests.factories import (
    ApplicationFactory,
    CampaignFactory,
    DeliverableFactory,
    PromoterCampaignFactory,
)

pytestmark = pytest.mark.django_db


def _detail(campaign, **query):
    return reverse("campaigns:advertiser_detail", args=[campaign.public_id]), query


def test_work_tab_shows_the_amount_assigned_and_the_milestone_form(advertiser_client, advertiser):
    participation = PromoterCampaignFactory(selected=True, campaign__advertiser=advertiser, agreed_amount=50_000)
    DeliverableFactory(promoter_campaign=participation, amount=35_000, title="Script")
    url, query = _detail(participation.campaign, tab="work")

    page = advertiser_client.get(url, query).text

    assert "<strong>$350.00</strong> is assigned to milestones" in page
    assert "The whole agreed amount is assigned" not in page
    assert 'action="{}"'.format(reverse("campaigns:deliverable_create", args=[participation.public_id])) in page


def test_work_tab_without_milestones_offers_the_form(advertiser_client, advertiser):
    participation = PromoterCampaignFactory(selected=True, campaign__advertiser=advertiser)

    url, query = _detail(participation.campaign, tab="work")
    page = advertiser_client.get(url, query).text

    assert "No milestones yet. Add the first one below." in page
    assert "Add a milestone" in page
    assert "<strong>$0.00</strong> is assigned" in page


def test_work_tab_says_when_everything_is_assigned(advertiser_client, advertiser):
    participation = PromoterCampaignFactory(selected=True, campaign__advertiser=advertiser, agreed_amount=10_000)
    DeliverableFactory(promoter_campaign=participation, amount=10_000)

    url, query = _detail(participation.campaign, tab="work")
    page = advertiser_client.get(url, query).text

    assert "The whole agreed amount is assigned to milestones." in page
    assert "Add a milestone" not in page


def test_consultant_awaiting_an_accepted_application_offers_review_not_funding(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, consultant=True, awaiting_funding=True)
    ApplicationFactory(campaign=campaign)
    fund_url = reverse("billing:fund", args=[campaign.public_id])

    detail = advertiser_client.get(reverse("campaigns:advertiser_detail", args=[campaign.public_id])).text
    dashboard = advertiser_client.get(reverse("reporting:advertiser_dashboard")).text

    assert fund_url not in detail
    assert "Review applications" in detail
    assert fund_url not in dashboard


def test_funding_before_acceptance_leads_to_the_applications(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, seller=True, awaiting_funding=True)

    response = advertiser_client.get(reverse("billing:fund", args=[campaign.public_id]), follow=True)

    assert response.redirect_chain[-1][0].endswith("?tab=applications")
    assert "Accept an application first" in response.text


def test_a_selected_promoter_makes_the_campaign_fundable(advertiser_client, advertiser):
    campaign = CampaignFactory(
        advertiser=advertiser, consultant=True, awaiting_funding=True, has_selected_promoter=True
    )
    PromoterCampaignFactory(campaign=campaign, agreed_amount=20_000)

    detail = advertiser_client.get(reverse("campaigns:advertiser_detail", args=[campaign.public_id])).text
    fund = advertiser_client.get(reverse("billing:fund", args=[campaign.public_id]))

    assert reverse("billing:fund", args=[campaign.public_id]) in detail
    assert fund.status_code == 200
    assert "$200.00" in fund.text


def test_end_campaign_asks_for_confirmation_and_says_what_happens_to_the_money(advertiser_client, advertiser):
    participation = PromoterCampaignFactory(selected=True, campaign__advertiser=advertiser)
    campaign = participation.campaign
    detail = advertiser_client.get(reverse("campaigns:advertiser_detail", args=[campaign.public_id])).text
    confirm_url = reverse("campaigns:action_confirm", args=[campaign.public_id, "complete"])

    page = advertiser_client.get(confirm_url).text

    assert confirm_url in detail
    assert reverse("campaigns:action", args=[campaign.public_id, "complete"]) + '"' not in detail
    assert "$300.00</strong> left in the budget" in page
    assert "refunded" in page
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE


def test_ending_records_the_reason_and_tells_the_selected_promoter(advertiser_client, advertiser):
    participation = PromoterCampaignFactory(selected=True, campaign__advertiser=advertiser)
    campaign = participation.campaign

    advertiser_client.post(
        reverse("campaigns:action", args=[campaign.public_id, "complete"]), {"reason": "Work is done"}
    )

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    assert campaign.status_changes.last().reason == "Work is done"
    notice = Notification.objects.get(user=participation.promoter, kind="campaign_completed")
    assert "has ended (Work is done)" in notice.body
    assert "Milestones already approved stay paid" in notice.body


def test_cancelling_tells_every_promoter_taking_part_once(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, active=True)
    joined = [PromoterCampaignFactory(campaign=campaign) for _ in range(2)]
    PromoterCampaignFactory(campaign=campaign, status=ParticipationStatus.COMPLETED)
    url = reverse("campaigns:action", args=[campaign.public_id, "cancel"])

    advertiser_client.post(url, {"reason": "Product recalled"})
    advertiser_client.post(url, {"reason": "Product recalled"})

    notices = Notification.objects.filter(kind="campaign_cancelled")
    assert sorted(n.user_id for n in notices) == sorted(p.promoter_id for p in joined)
    assert all("was cancelled (Product recalled)" in n.body for n in notices)


def test_cancelling_without_a_reason_returns_to_the_confirmation(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, active=True)

    response = advertiser_client.post(reverse("campaigns:action", args=[campaign.public_id, "cancel"]), {"reason": ""})

    assert response.url == reverse("campaigns:action_confirm", args=[campaign.public_id, "cancel"])
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE


def test_confirmation_of_an_unknown_action_is_404(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, active=True)
    assert (
        advertiser_client.get(reverse("campaigns:action_confirm", args=[campaign.public_id, "pause"])).status_code
        == 404
    )


def test_one_invalid_marketplace_filter_keeps_the_valid_ones(promoter_client):
    shoes = CampaignFactory(active=True, title="Trail shoes launch")
    CampaignFactory(active=True, title="Coffee beans")

    response = promoter_client.get(reverse("campaigns:marketplace"), {"q": "shoes", "min_rate": "-5"})

    assert [campaign.pk for campaign in response.context["page"]] == [shoes.pk]
    assert "Minimum rate:" in response.content.decode()
    assert "That filter was ignored; the others apply." in response.content.decode()


def test_application_page_speaks_to_the_advertiser_as_the_one_to_answer(advertiser_client, advertiser):
    application = ApplicationFactory(campaign__advertiser=advertiser, campaign__consultant=True)

    page = advertiser_client.get(reverse("campaigns:application_detail", args=[application.public_id])).text
    listing = advertiser_client.get(
        reverse("campaigns:advertiser_detail", args=[application.campaign.public_id]), {"tab": "applications"}
    ).text

    assert "Waiting for the advertiser" not in page
    assert "Waiting for your answer" in page
    assert "Waiting for your answer" in listing


def test_rejecting_an_application_or_work_asks_first_and_says_what_happens_to_the_money(advertiser_client, advertiser):
    application = ApplicationFactory(campaign__advertiser=advertiser, campaign__consultant=True)
    participation = PromoterCampaignFactory(selected=True, campaign__advertiser=advertiser)
    from campaigns.tests.factories import WorkFactory

    WorkFactory(deliverable=DeliverableFactory(promoter_campaign=participation, amount=12_500, status="submitted"))

    application_page = advertiser_client.get(reverse("campaigns:application_detail", args=[application.public_id]))
    workspace = advertiser_client.get(reverse("campaigns:participation_detail", args=[participation.public_id]))

    assert 'data-confirm="Reject this application? Nothing is charged' in application_page.text
    assert "its $125.00 stays in the campaign budget and is refunded to you" in workspace.text
    assert '<dialog id="confirm-dialog"' in workspace.text


def test_conversation_shows_public_names_not_email_usernames(advertiser_client, advertiser):
    from campaigns import services

    application = ApplicationFactory(campaign__advertiser=advertiser, campaign__consultant=True)
    promoter = application.promoter
    promoter.full_name = ""
    promoter.email = "newpro1@example.test"
    promoter.save()
    promoter.promoter_details.display_name = "Pat on the Trail"
    promoter.promoter_details.save()
    services.application_message_post(application=application, actor=promoter, body="Hello there")

    page = advertiser_client.get(reverse("campaigns:application_detail", args=[application.public_id])).text

    assert "Pat on the Trail ·" in page
    assert "newpro1" not in page


@pytest.mark.parametrize("trait", ["visibility", "salesman"])
def test_joinable_campaigns_have_no_applications_or_deliverables_tabs(advertiser_client, advertiser, trait):
    campaign = CampaignFactory(advertiser=advertiser, active=True, **({trait: True} if trait == "salesman" else {}))
    url = reverse("campaigns:advertiser_detail", args=[campaign.public_id])

    page = advertiser_client.get(url).text
    asked_for_work = advertiser_client.get(url, {"tab": "work"})

    assert "?tab=applications" not in page and "?tab=work" not in page
    assert "?tab=participants" in page
    assert asked_for_work.context["tab"] == "overview"


def test_consultant_campaigns_keep_their_applications_and_deliverables_tabs(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, consultant=True, active=True)

    page = advertiser_client.get(reverse("campaigns:advertiser_detail", args=[campaign.public_id])).text

    assert "?tab=applications" in page and "?tab=work" in page


def _project_data(campaign_type, **overrides):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    data = {
        "campaign_type": campaign_type,
        "title": "Gear review",
        "description": "Review our tent",
        "target_url": "",
        "start_date": today.isoformat(),
        "end_date": (today + datetime.timedelta(days=30)).isoformat(),
        "min_budget_dollars": "100",
        "max_budget_dollars": "500",
        "deliverables": "One review",
        "timeline": "4 weeks",
    }
    data.update(overrides)
    return data


def test_a_consultant_project_needs_no_target_url(advertiser_client, advertiser):
    from campaigns.models import Campaign

    response = advertiser_client.post(reverse("campaigns:create"), _project_data("consultant"))

    campaign = Campaign.objects.get(advertiser=advertiser)
    assert response.status_code == 302
    assert campaign.target_url == ""
    detail = advertiser_client.get(reverse("campaigns:advertiser_detail", args=[campaign.public_id])).text
    assert "Target:" not in detail


def test_a_consultant_target_url_given_is_still_checked(advertiser_client, advertiser):
    from campaigns.models import Campaign

    response = advertiser_client.post(
        reverse("campaigns:create"), _project_data("consultant", target_url="javascript:alert(1)")
    )

    assert response.status_code == 200
    assert not Campaign.objects.filter(advertiser=advertiser).exists()


def test_a_seller_project_still_needs_a_target_url(advertiser_client, advertiser):
    from campaigns.models import Campaign

    advertiser_client.post(reverse("campaigns:create"), _project_data("seller"))

    assert not Campaign.objects.filter(advertiser=advertiser).exists()


def test_create_form_carries_the_fee_for_its_cost_preview(advertiser_client, settings):
    settings.PLATFORM_FEE_PERCENT = 12

    page = advertiser_client.get(reverse("campaigns:create"), {"type": "consultant"}).text

    assert 'id="cost-preview"' in page and 'data-fee-percent="12"' in page
    assert "plus a 12% platform fee" in page


def test_cancelling_an_unfunded_campaign_says_there_is_nothing_to_refund(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, awaiting_funding=True)

    page = advertiser_client.get(reverse("campaigns:action_confirm", args=[campaign.public_id, "cancel"])).text

    assert "nothing to refund (it was never funded)" in page
    assert "$0.00" not in page
