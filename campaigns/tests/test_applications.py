import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.tests.factories import PromoterFactory
from campaigns import services
from campaigns.models import ApplicationMessage, Campaign, CampaignApplication, PromoterCampaign
from campaigns.tests.factories import ApplicationFactory, CampaignFactory

pytestmark = pytest.mark.django_db


def test_promoter_applies_within_the_budget_range(promoter):
    campaign = CampaignFactory(consultant=True, awaiting_funding=True)
    application = services.application_create(campaign=campaign, promoter=promoter, amount_cents=12_550, pitch="Hi")
    assert (application.status, application.current_amount, application.proposed_amount) == ("pending", 12_550, 12_550)
    assert application.awaiting == "advertiser"
    assert ApplicationMessage.objects.get().amount == 12_550


@pytest.mark.parametrize("amount", [9_999, 50_001])
def test_application_outside_the_range_is_refused(promoter, amount):
    campaign = CampaignFactory(consultant=True, awaiting_funding=True)
    with pytest.raises(services.CampaignError, match="between"):
        services.application_create(campaign=campaign, promoter=promoter, amount_cents=amount, pitch="Hi")
    assert not CampaignApplication.objects.exists()


def test_one_application_per_promoter_per_campaign(promoter):
    campaign = CampaignFactory(seller=True, active=True)
    services.application_create(campaign=campaign, promoter=promoter, amount_cents=20_000, pitch="Hi")
    with pytest.raises(services.AlreadyParticipating):
        services.application_create(campaign=campaign, promoter=promoter, amount_cents=20_000, pitch="Again")
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignApplication.objects.create(
            campaign=campaign, promoter=promoter, pitch="x", proposed_amount=1, current_amount=1
        )
    assert CampaignApplication.objects.count() == 1


@pytest.mark.parametrize("trait", ["draft", "completed", "cancelled", "paused"])
def test_no_applications_to_campaigns_not_open(promoter, trait):
    kwargs = {} if trait == "draft" else {trait: True}
    campaign = CampaignFactory(consultant=True, **kwargs)
    with pytest.raises(services.CampaignNotOpen):
        services.application_create(campaign=campaign, promoter=promoter, amount_cents=20_000, pitch="Hi")


def test_no_applications_to_joinable_types(promoter):
    campaign = CampaignFactory(active=True)
    with pytest.raises(services.CampaignNotOpen):
        services.application_create(campaign=campaign, promoter=promoter, amount_cents=20_000, pitch="Hi")


def test_negotiation_turns_and_acceptance():
    application = ApplicationFactory(proposed_amount=20_000)
    advertiser, promoter = application.campaign.advertiser, application.promoter

    with pytest.raises(services.NotYourTurn):
        services.application_accept(application=application, actor=promoter)  # own proposal
    services.application_counter(application=application, actor=advertiser, amount_cents=15_000, message="Lower?")
    application.refresh_from_db()
    assert (application.status, application.current_amount, application.awaiting) == ("countered", 15_000, "promoter")

    with pytest.raises(services.NotYourTurn):
        services.application_accept(application=application, actor=advertiser)  # own counter
    with pytest.raises(services.NotYourTurn):
        services.application_counter(application=application, actor=advertiser, amount_cents=14_000)

    services.application_counter(application=application, actor=promoter, amount_cents=17_500)
    application.refresh_from_db()
    assert (application.status, application.awaiting) == ("pending", "advertiser")

    participation = services.application_accept(application=application, actor=advertiser)
    application.refresh_from_db()
    assert application.status == "accepted"
    assert participation.agreed_amount == 17_500
    assert (participation.budget_held, participation.spent_budget) == (0, 0)
    assert participation.application == application
    assert Campaign.objects.get(pk=application.campaign_id).has_selected_promoter


def test_promoter_accepts_a_counter_offer():
    application = ApplicationFactory(countered=True, current_amount=11_000)
    participation = services.application_accept(application=application, actor=application.promoter)
    assert participation.agreed_amount == 11_000


def test_accepting_one_closes_the_others_with_a_reason():
    accepted = ApplicationFactory()
    others = [ApplicationFactory(campaign=accepted.campaign) for _ in range(2)]
    withdrawn = ApplicationFactory(campaign=accepted.campaign, status="withdrawn")
    services.application_accept(application=accepted, actor=accepted.campaign.advertiser)
    for other in others:
        other.refresh_from_db()
        assert other.status == "closed"
        assert (other.decision_reason_code, other.decision_reason) == ("another_promoter_selected", "")
        assert other.decision_reason_text == "Another promoter was selected"
        assert other.messages.filter(kind="system", body="Another promoter was selected").exists()
    withdrawn.refresh_from_db()
    assert withdrawn.status == "withdrawn"
    with pytest.raises(services.InvalidTransition):
        services.application_accept(application=others[0], actor=accepted.campaign.advertiser)
    assert PromoterCampaign.objects.count() == 1


def test_database_allows_one_accepted_application_per_campaign():
    first = ApplicationFactory(status="accepted")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationFactory(campaign=first.campaign, status="accepted")


def test_selected_campaign_leaves_the_marketplace_listing():
    application = ApplicationFactory()
    assert Campaign.objects.listed().filter(pk=application.campaign_id).exists()
    services.application_accept(application=application, actor=application.campaign.advertiser)
    assert not Campaign.objects.listed().filter(pk=application.campaign_id).exists()


def test_reject_needs_reason_and_only_the_advertiser_can():
    application = ApplicationFactory()
    advertiser = application.campaign.advertiser
    with pytest.raises(services.NotAllowed):
        services.application_reject(application=application, actor=application.promoter, code="price")
    for code, note in [("", "Too pricey"), ("too_pricey", ""), ("another_promoter_selected", ""), ("other", " ")]:
        with pytest.raises(services.CampaignError):
            services.application_reject(application=application, actor=advertiser, code=code, note=note)
    application.refresh_from_db()
    assert (application.status, application.decision_reason_code) == ("pending", "")

    services.application_reject(application=application, actor=advertiser, code="price", note=" Over $300 ")
    application.refresh_from_db()
    assert (application.status, application.decision_reason_code, application.decision_reason) == (
        "rejected",
        "price",
        "Over $300",
    )
    assert application.messages.filter(
        kind="system", body="Rejected. Reason: The price is more than the budget allows: Over $300"
    ).exists()


def test_reject_page_offers_the_reasons_and_the_promoter_reads_the_label_and_note(client):
    from accounts.models import Notification, NotificationKind

    application = ApplicationFactory()
    client.force_login(application.campaign.advertiser)
    url = reverse("campaigns:application_detail", args=[application.public_id])
    page = client.get(url).text
    assert '<label for="id_reason_code">Reason' in page and '<label for="id_note">Note (optional)' in page
    assert '<option value="experience">Not enough relevant experience or audience</option>' in page
    assert "another_promoter_selected" not in page  # the platform's reasons are not offered

    response = client.post(
        reverse("campaigns:application_action", args=[application.public_id, "reject"]),
        {"reason_code": "experience", "note": "We need outdoor gear reviews"},
        follow=True,
    )
    assert "Application rejected." in response.text
    application.refresh_from_db()
    assert (application.status, application.decision_reason_code, application.decision_reason) == (
        "rejected",
        "experience",
        "We need outdoor gear reviews",
    )
    reason = "Not enough relevant experience or audience: We need outdoor gear reviews"
    notice = Notification.objects.get(user=application.promoter, kind=NotificationKind.APPLICATION_REJECTED)
    assert reason in notice.body
    client.force_login(application.promoter)
    assert f"Reason: {reason}" in client.get(url).text


def test_reject_for_other_reads_the_note_alone():
    application = ApplicationFactory()
    services.application_reject(
        application=application, actor=application.campaign.advertiser, code="other", note="We paused hiring"
    )
    application.refresh_from_db()
    assert (application.decision_reason_code, application.decision_reason_text) == ("other", "We paused hiring")


def test_withdraw_only_by_the_promoter():
    application = ApplicationFactory()
    with pytest.raises(services.NotAllowed):
        services.application_withdraw(application=application, actor=application.campaign.advertiser)
    services.application_withdraw(application=application, actor=application.promoter)
    application.refresh_from_db()
    assert application.status == "withdrawn"


def test_strangers_cannot_touch_an_application():
    application = ApplicationFactory()
    stranger = PromoterFactory()
    for call in (
        lambda: services.application_accept(application=application, actor=stranger),
        lambda: services.application_counter(application=application, actor=stranger, amount_cents=20_000),
        lambda: services.application_message_post(application=application, actor=stranger, body="hi"),
    ):
        with pytest.raises(services.NotAllowed):
            call()


def test_negotiation_through_the_pages(client):
    application = ApplicationFactory(proposed_amount=20_000)
    advertiser, promoter = application.campaign.advertiser, application.promoter
    url = lambda action: reverse("campaigns:application_action", args=[application.public_id, action])  # noqa: E731

    client.force_login(advertiser)
    response = client.post(url("counter"), {"amount": "150.00", "pitch": "Meet me here"})
    assert response.status_code == 302
    client.post(url("message"), {"body": "Looking forward"})

    client.force_login(promoter)
    page = client.get(reverse("campaigns:application_detail", args=[application.public_id]))
    assert "Accept $150.00" in page.text and "Looking forward" in page.text
    client.post(url("accept"))
    application.refresh_from_db()
    assert application.status == "accepted"
    assert PromoterCampaign.objects.get().agreed_amount == 15_000


def test_promoter_cannot_accept_own_proposal_through_the_page(promoter_client, promoter):
    application = ApplicationFactory(promoter=promoter)
    response = promoter_client.post(
        reverse("campaigns:application_action", args=[application.public_id, "accept"]), follow=True
    )
    assert response.status_code == 200
    assert "wait for the other side" in response.text
    application.refresh_from_db()
    assert application.status == "pending"
    assert not PromoterCampaign.objects.exists()


def test_apply_page_converts_dollars_exactly(promoter_client, promoter):
    campaign = CampaignFactory(consultant=True, awaiting_funding=True)
    response = promoter_client.post(
        reverse("campaigns:apply", args=[campaign.public_id]), {"amount": "$125.57", "pitch": "I can do it"}
    )
    assert response.status_code == 302
    assert CampaignApplication.objects.get().current_amount == 12_557


def test_selected_active_campaign_is_not_listed_but_open_ones_are():
    selected = CampaignFactory(seller=True, active=True, has_selected_promoter=True)
    open_active = CampaignFactory(seller=True, active=True)
    listed = set(Campaign.objects.listed().values_list("pk", flat=True))
    assert open_active.pk in listed and selected.pk not in listed
