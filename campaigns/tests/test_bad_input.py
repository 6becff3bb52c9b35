"""Bad input on every form: a clear message on the page (200), nothing written, never a 500."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    MAX_BUDGET_CENTS,
    ApplicationMessage,
    Campaign,
    CampaignApplication,
    CampaignDeliverable,
    CampaignStatusChange,
    CampaignWork,
)
from campaigns.tests.factories import ApplicationFactory, CampaignFactory, DeliverableFactory, PromoterCampaignFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _counts():
    return [
        model.objects.count()
        for model in (
            Campaign,
            CampaignApplication,
            ApplicationMessage,
            CampaignDeliverable,
            CampaignWork,
            CampaignStatusChange,
        )
    ]


def _campaign_data(campaign_type, **overrides):
    data = {
        "campaign_type": campaign_type,
        "title": "Spring launch",
        "description": "Launch of our product",
        "target_url": "https://example.com",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + datetime.timedelta(days=30)).isoformat(),
        "cpv_dollars": "3.00",
        "max_views": "2000",
        "min_budget_dollars": "100",
        "max_budget_dollars": "500",
        "deliverables": "Two videos",
        "timeline": "4 weeks",
        "commission_per_sale": "12.5",
        "tracking_method": "both",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("campaign_type", "field", "value", "message"),
    [
        ("visibility", "cpv_dollars", "-3", "Enter a positive amount."),
        ("visibility", "cpv_dollars", "0", "Enter at least $0.01."),
        ("visibility", "cpv_dollars", "abc", "Enter an amount in dollars, like 125.50."),
        ("visibility", "cpv_dollars", "3.005", "Enter an amount in dollars, like 125.50."),
        ("visibility", "cpv_dollars", "99999999999999999999999", "Enter at most $1,000.00."),
        ("visibility", "max_views", "0", "Enter at least 1 view."),
        ("visibility", "max_views", "-10", "Enter at least 1 view."),
        ("visibility", "max_views", "1e9", "Enter a whole number."),
        ("visibility", "max_views", "100000000000000000000000", "Enter at most 100,000,000 views."),
        ("consultant", "min_budget_dollars", "0", "Enter at least $0.01."),
        ("consultant", "max_budget_dollars", "50", "The maximum budget must be at least the minimum budget."),
        ("consultant", "max_budget_dollars", "1e10", "Enter an amount in dollars"),
        ("seller", "max_budget_dollars", "99999999999", "Enter at most $10,000,000.00."),
        ("salesman", "commission_per_sale", "0", "Enter a commission above 0%."),
        ("salesman", "commission_per_sale", "-1", "Enter a commission above 0%."),
        ("salesman", "commission_per_sale", "100.01", "A commission cannot be more than 100%."),
        ("salesman", "commission_per_sale", "123456789", "A commission cannot be more than 100%."),
        ("salesman", "commission_per_sale", "ten", "Enter a number."),
        ("salesman", "tracking_method", "carrier-pigeon", "Select a valid choice."),
        ("visibility", "target_url", "javascript:alert(1)", "Enter a"),
        ("visibility", "target_url", "ftp://example.com/x", "http:// or https://"),
        ("visibility", "title", "   ", "Give the campaign a title."),
        ("visibility", "end_date", (TODAY - datetime.timedelta(days=1)).isoformat(), "on or after the start date"),
        ("visibility", "start_date", (TODAY - datetime.timedelta(days=3)).isoformat(), "cannot be in the past"),
        ("visibility", "end_date", "2999-01-01", "at most 5 years"),
        ("visibility", "end_date", "not-a-date", "Enter a valid date."),
    ],
)
def test_campaign_form_refuses_bad_input(advertiser_client, campaign_type, field, value, message):
    before = _counts()
    response = advertiser_client.post(reverse("campaigns:create"), _campaign_data(campaign_type, **{field: value}))
    assert response.status_code == 200
    assert message in response.text
    assert _counts() == before


def test_visibility_budget_over_the_cap_is_refused(advertiser_client):
    data = _campaign_data("visibility", cpv_dollars="1000", max_views="100000000")
    response = advertiser_client.post(reverse("campaigns:create"), data)
    assert response.status_code == 200
    assert "the most one campaign can hold is $10,000,000.00" in response.text
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("campaign_type", ["visibility", "consultant", "seller", "salesman"])
def test_campaign_form_accepts_good_input_and_stores_cents(advertiser_client, advertiser, campaign_type):
    response = advertiser_client.post(reverse("campaigns:create"), _campaign_data(campaign_type))
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.advertiser, campaign.campaign_type, campaign.status) == (advertiser, campaign_type, "draft")
    expected = {
        "visibility": (300, 2000, None, None, None),
        "consultant": (None, None, 10_000, 50_000, None),
        "seller": (None, None, 10_000, 50_000, None),
        "salesman": (None, None, None, None, "12.50"),
    }[campaign_type]
    commission = str(campaign.commission_per_sale) if campaign.commission_per_sale is not None else None
    assert (campaign.cpv, campaign.max_views, campaign.min_budget, campaign.max_budget, commission) == expected


def test_unknown_campaign_type_shows_the_picker(advertiser_client):
    response = advertiser_client.post(reverse("campaigns:create"), _campaign_data("lottery"))
    assert response.status_code == 200
    assert "Pick a campaign type." in response.text
    assert not Campaign.objects.exists()


def test_edit_refuses_bad_input_and_keeps_the_row(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser)
    response = advertiser_client.post(
        reverse("campaigns:edit", args=[campaign.public_id]), _campaign_data("visibility", cpv_dollars="-1")
    )
    assert response.status_code == 200
    assert "Enter a positive amount." in response.text
    campaign.refresh_from_db()
    assert campaign.cpv == 300


def test_cancel_without_reason_is_refused(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, active=True)
    response = advertiser_client.post(
        reverse("campaigns:action", args=[campaign.public_id, "cancel"]), {"reason": ""}, follow=True
    )
    assert response.status_code == 200
    assert "Give a reason for cancelling" in response.text
    assert Campaign.objects.get(pk=campaign.pk).status == "active"
    assert not CampaignStatusChange.objects.exists()


def test_invalid_action_is_a_message_not_an_error(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser)  # draft
    response = advertiser_client.post(reverse("campaigns:action", args=[campaign.public_id, "pause"]), follow=True)
    assert response.status_code == 200
    assert "cannot become paused" in response.text
    assert advertiser_client.post(reverse("campaigns:action", args=[campaign.public_id, "explode"])).status_code == 404


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "Enter a positive amount."),
        ("0", "Enter at least $0.01."),
        ("lots", "Enter an amount in dollars, like 125.50."),
        ("1" * 19, "Enter at most $10,000,000.00."),
        ("99.99", "Propose an amount between $100.00 and $500.00."),
        ("500.01", "Propose an amount between $100.00 and $500.00."),
        ("", "This field is required."),
    ],
)
def test_apply_form_refuses_bad_amounts(promoter_client, amount, message):
    campaign = CampaignFactory(consultant=True, awaiting_funding=True)
    before = _counts()
    response = promoter_client.post(
        reverse("campaigns:apply", args=[campaign.public_id]), {"amount": amount, "pitch": "Pick me"}
    )
    assert response.status_code == 200
    assert message in response.text
    assert _counts() == before


@pytest.mark.parametrize("action", ["apply", "counter"])
def test_an_offer_above_one_payments_maximum_is_refused_with_a_clear_message(client, promoter, action):
    """A campaign whose range reaches $10M (allowed by the model): an agreed amount is funded
    by one card payment, which Stripe caps at $999,999.99 with the fee on top."""
    campaign = CampaignFactory(consultant=True, awaiting_funding=True, min_budget=10_000, max_budget=MAX_BUDGET_CENTS)
    before = _counts()
    if action == "apply":
        client.force_login(promoter)
        url = reverse("campaigns:apply", args=[campaign.public_id])
    else:
        application = ApplicationFactory(campaign=campaign)
        before = _counts()
        client.force_login(campaign.advertiser)
        url = reverse("campaigns:application_action", args=[application.public_id, "counter"])
    response = client.post(url, {"amount": "2000000", "pitch": "Pick me"})
    assert response.status_code == 200
    assert "One card payment can be at most $999,999.99" in response.text
    assert _counts() == before


def test_apply_form_needs_a_pitch(promoter_client):
    campaign = CampaignFactory(consultant=True, awaiting_funding=True)
    response = promoter_client.post(
        reverse("campaigns:apply", args=[campaign.public_id]), {"amount": "200", "pitch": "   "}
    )
    assert response.status_code == 200
    assert "Tell the advertiser why you are a good fit." in response.text
    assert not CampaignApplication.objects.exists()


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("counter", {"amount": "-1"}, "Enter a positive amount."),
        ("counter", {"amount": "9"}, "Propose an amount between"),
        ("counter", {"amount": "x"}, "Enter an amount in dollars"),
        ("reject", {"reason_code": "", "note": "Too pricey"}, "Choose a reason."),
        ("reject", {"reason_code": "too_pricey"}, "Choose a reason from the list."),
        ("reject", {"reason_code": "another_promoter_selected"}, "Choose a reason from the list."),
        ("reject", {"reason_code": "other", "note": "  "}, "You chose “Other”: say what the reason is here."),
        ("reject", {"reason_code": "price", "note": "x" * 501}, "Ensure this value has at most 500 characters"),
        ("message", {"body": ""}, "Write a message first."),
    ],
)
def test_negotiation_forms_refuse_bad_input(client, action, data, message):
    application = ApplicationFactory()
    client.force_login(application.campaign.advertiser)
    before = _counts()
    response = client.post(reverse("campaigns:application_action", args=[application.public_id, action]), data)
    assert response.status_code == 200
    assert message in response.text
    assert _counts() == before
    application.refresh_from_db()
    assert (application.status, application.current_amount) == ("pending", 20_000)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "Video", "amount": "-10"}, "Enter a positive amount."),
        ({"title": "Video", "amount": "0"}, "Enter at least $0.01."),
        ({"title": "Video", "amount": "ten"}, "Enter an amount in dollars"),
        ({"title": "Video", "amount": "300.01"}, "Milestones would exceed the agreed amount of $300.00"),
        ({"title": "", "amount": "10"}, "Name the milestone."),
        ({"title": "Video", "amount": "10", "due_date": "2001-01-01"}, "The due date cannot be in the past."),
    ],
)
def test_deliverable_form_refuses_bad_input(client, data, message):
    participation = PromoterCampaignFactory(selected=True)
    client.force_login(participation.campaign.advertiser)
    response = client.post(reverse("campaigns:deliverable_create", args=[participation.public_id]), data)
    assert response.status_code == 200
    assert message in response.text
    assert not CampaignDeliverable.objects.exists()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "", "link": ""}, "Add notes, a link or a file."),
        ({"link": "javascript:alert(1)"}, "Enter a"),
        ({"link": "data:text/html,hi"}, "Enter a"),
        ({"file": SimpleUploadedFile("evil.exe", b"MZ\x90\x00")}, "This file type is not accepted."),
        ({"file": SimpleUploadedFile("page.html", b"<html>")}, "This file type is not accepted."),
        ({"file": SimpleUploadedFile("fake.pdf", b"<html><script>")}, "does not look like a .pdf file"),
        ({"file": SimpleUploadedFile("fake.png", b"GIF89a....")}, "does not look like a .png file"),
        ({"file": SimpleUploadedFile("bin.txt", b"\x00\x01\x02")}, "does not look like a .txt file"),
        ({"file": SimpleUploadedFile("big.png", PNG + b"\x00" * (10 * 1024 * 1024))}, "the limit is 10 MB"),
        ({"file": SimpleUploadedFile("empty.txt", b"")}, "The submitted file is empty."),
    ],
)
def test_work_form_refuses_bad_input(client, data, message):
    deliverable = DeliverableFactory()
    client.force_login(deliverable.promoter_campaign.promoter)
    response = client.post(reverse("campaigns:work_submit", args=[deliverable.public_id]), data)
    assert response.status_code == 200
    assert message in response.text
    assert not CampaignWork.objects.exists()
    deliverable.refresh_from_db()
    assert deliverable.status == "open"
