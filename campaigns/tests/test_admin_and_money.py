import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from campaigns.models import Campaign, CampaignStatusChange
from campaigns.templatetags.money import cents, percent
from campaigns.tests.factories import ApplicationFactory, CampaignFactory, PromoterCampaignFactory, WorkFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "shown"),
    [(6000, "$60.00"), (0, "$0.00"), (5, "$0.05"), (123456789, "$1,234,567.89"), (-250, "-$2.50"), (None, "—")],
)
def test_cents_filter(value, shown):
    assert cents(value) == shown


def test_percent_filter():
    from decimal import Decimal

    assert percent(Decimal("12.50")) == "12.5%"
    assert percent(Decimal("100.00")) == "100%"


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_campaigns_admin_page_loads(staff_client):
    work = WorkFactory()
    participation = work.deliverable.promoter_campaign
    application = ApplicationFactory(campaign=participation.campaign, status="accepted")
    application.messages.create(body="hello")
    CampaignStatusChange.objects.create(campaign=participation.campaign, from_status="draft", to_status="active")
    rows = {
        "campaign": participation.campaign,
        "campaignapplication": application,
        "applicationmessage": application.messages.get(),
        "promotercampaign": participation,
        "campaigndeliverable": work.deliverable,
        "campaignwork": work,
        "campaignstatuschange": CampaignStatusChange.objects.get(),
    }
    for model, row in rows.items():
        assert staff_client.get(reverse(f"admin:campaigns_{model}_changelist")).status_code == 200, model
        assert staff_client.get(reverse(f"admin:campaigns_{model}_change", args=[row.pk])).status_code == 200, model
    response = staff_client.get(
        reverse("admin:campaigns_campaign_changelist"), {"campaign_type": "consultant", "q": "x"}
    )
    assert response.status_code == 200


def test_status_audit_is_read_only_in_admin(staff_client):
    change = CampaignStatusChange.objects.create(campaign=CampaignFactory(), from_status="draft", to_status="active")
    assert staff_client.get(reverse("admin:campaigns_campaignstatuschange_add")).status_code == 403
    response = staff_client.post(
        reverse("admin:campaigns_campaignstatuschange_delete", args=[change.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert CampaignStatusChange.objects.filter(pk=change.pk).exists()


def test_suspend_action_pauses_active_campaigns_through_the_service(staff_client):
    active = CampaignFactory(active=True)
    draft = CampaignFactory()
    PromoterCampaignFactory(campaign=active)
    response = staff_client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "suspend_campaigns", "_selected_action": [active.pk, draft.pk], "reason": "abuse report"},
        follow=True,
    )
    assert response.status_code == 200
    assert Campaign.objects.get(pk=active.pk).status == "paused"
    assert Campaign.objects.get(pk=draft.pk).status == "draft"
    change = CampaignStatusChange.objects.get()
    assert (change.to_status, change.reason) == ("paused", "suspended by staff")
