"""Admin: every billing model listed, the ledger read-only, actions call services."""

import pytest
from django.contrib import admin
from django.urls import reverse

from billing.models import LedgerAccount, StripeWebhookEvent, Transaction
from campaigns.tests.factories import CampaignFactory
from tests.support.funding import fund_with_card as fund
from tests.support.stripe import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(email="ops@example.test", password="x")
    client.force_login(user)
    return client


def test_every_billing_model_has_a_working_changelist(staff_client, card_for):
    campaign = CampaignFactory(awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign)
    models = [model for model in admin.site._registry if model._meta.app_label == "billing"]
    assert len(models) == 13  # with disputes, fee plans and campaign fee terms
    for model in models:
        url = reverse(f"admin:billing_{model._meta.model_name}_changelist")
        assert staff_client.get(url).status_code == 200, model


def test_ledger_is_read_only(staff_client):
    for model in (LedgerAccount, Transaction):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(None)
        assert not model_admin.has_change_permission(None)
        assert not model_admin.has_delete_permission(None)


def test_reprocess_action_and_refund_action(staff_client, card_for, stripe_sim, client):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=2_000)
    event = next(e for e in stripe_sim.events if e["type"] == "payment_intent.succeeded")
    deliver(staff_client, stripe_sim, event)
    row = StripeWebhookEvent.objects.get()

    staff_client.post(
        reverse("admin:billing_stripewebhookevent_changelist"),
        {"action": "reprocess", "_selected_action": [row.pk], "reason": "handler fixed"},
    )
    row.refresh_from_db()
    assert row.attempts == 2 and row.status == "processed"

    from campaigns import services as campaign_services

    campaign_services.campaign_complete(campaign=campaign, actor=None)
    allocation = campaign.budget_allocations.get()
    staff_client.post(
        reverse("admin:billing_campaignbudgetallocation_changelist"),
        {"action": "refund_unused", "_selected_action": [allocation.pk], "reason": "advertiser asked"},
    )
    assert campaign.charges.get(kind="refund").status == "succeeded"
