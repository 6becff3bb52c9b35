"""Ending or cancelling a campaign refunds its unused budget and fee, once."""

import pytest
from django.db import transaction
from django.urls import reverse

from billing import gateway, ledger, services
from billing.audit import ledger_audit
from billing.models import AdvertiserCharge, CampaignBudgetAllocation
from campaigns import services as campaign_services
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from tests.support.funding import fund_with_card as fund

pytestmark = pytest.mark.django_db


def spend(campaign, promoter, cents, key):
    with transaction.atomic():
        return services.campaign_budget_spend(
            campaign=campaign, promoter=promoter, amount_cents=cents, idempotency_key=key
        )


@pytest.fixture
def funded(card_for):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=10_000)
    return campaign


def test_ending_refunds_unused_budget_and_its_fee(funded, promoter, stripe_client):
    spend(funded, promoter, 2_500, "s1")

    campaign_services.campaign_complete(campaign=funded, actor=funded.advertiser)

    refund = AdvertiserCharge.objects.get(campaign=funded, kind="refund")
    assert (refund.status, refund.budget_amount, refund.fee_amount, refund.amount) == ("succeeded", 7_500, 750, 8_250)
    stripe_refund = stripe_client.v1.refunds.retrieve(refund.stripe_refund_id)
    assert stripe_refund.amount == 8_250 and stripe_refund.charge == refund.stripe_charge_id
    assert services.campaign_budget_remaining(funded) == 0
    assert ledger.campaign_fee_held(funded).balance == 0
    allocation = CampaignBudgetAllocation.objects.get(campaign=funded)
    assert (allocation.spent_amount, allocation.refunded_amount, allocation.fee_refunded_amount) == (2_500, 7_500, 750)
    assert ledger_audit().clean


def test_refunding_twice_refunds_once(funded, stripe_client):
    campaign_services.campaign_cancel(campaign=funded, actor=funded.advertiser, reason="changed plans")
    services.campaign_refund_unused(campaign=funded, actor=funded.advertiser)

    assert AdvertiserCharge.objects.filter(kind="refund").count() == 1
    assert len(stripe_client.v1.refunds.list().data) == 1
    assert ledger_audit().clean


def test_refunds_go_newest_payment_first(funded, promoter, stripe_client):
    fund(funded, budget_cents=4_000)
    spend(funded, promoter, 11_000, "most")  # the first payment is spent, 3,000 of the second left

    campaign_services.campaign_complete(campaign=funded, actor=funded.advertiser)

    (refund,) = AdvertiserCharge.objects.filter(kind="refund")
    newest_charge = AdvertiserCharge.objects.filter(kind="charge").order_by("-pk").first()
    assert refund.stripe_charge_id == newest_charge.stripe_charge_id
    assert (refund.budget_amount, refund.fee_amount) == (3_000, 300)
    assert ledger_audit().clean


def test_stripe_down_leaves_the_refund_pending_and_the_retry_refunds_once(funded, stripe_sim, stripe_client):
    stripe_sim.fail_next(1, "500")
    campaign_services.campaign_complete(campaign=funded, actor=funded.advertiser)
    refund = AdvertiserCharge.objects.get(kind="refund")
    assert refund.status == "pending"
    assert services.campaign_budget_remaining(funded) == 0  # reserved: cannot be spent meanwhile

    services.refunds_retry_pending(older_than_seconds=0)
    services.refunds_retry_pending(older_than_seconds=0)

    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert len(stripe_client.v1.refunds.list().data) == 1
    assert ledger_audit().clean


@pytest.mark.parametrize(
    ("status", "stripe_reason", "code", "shown"),
    [
        ("failed", "lost_or_stolen_card", "lost_or_stolen_card", "The card was reported lost or stolen"),
        ("canceled", "merchant_request", "other", "Stripe canceled the refund (merchant_request)."),
    ],
)
def test_a_refund_stripe_fails_keeps_its_reason_as_our_code(funded, monkeypatch, status, stripe_reason, code, shown):
    def refund_failing(*, charge_id, amount, **kwargs):
        return gateway.Refund(
            id="re_failing", status=status, amount=amount, charge_id=charge_id, failure_reason=stripe_reason
        )

    monkeypatch.setattr(gateway, "refund_create", refund_failing)
    campaign_services.campaign_complete(campaign=funded, actor=funded.advertiser)

    refund = AdvertiserCharge.objects.get(kind="refund")
    assert (refund.status, refund.failure_reason_code, refund.failure_text) == ("failed", code, shown)
    assert services.campaign_budget_remaining(funded) == 10_000
    assert ledger_audit().clean


def test_a_refund_stripe_refuses_is_failed_and_the_money_returns_to_the_campaign(funded, stripe_client):
    charge = AdvertiserCharge.objects.get(kind="charge")
    stripe_client.v1.refunds.create(params={"charge": charge.stripe_charge_id, "amount": 10_500})  # refunded elsewhere

    campaign_services.campaign_complete(campaign=funded, actor=funded.advertiser)

    refund = AdvertiserCharge.objects.get(kind="refund")
    assert refund.status == "failed" and "greater than" in refund.failure_reason
    assert refund.failure_reason_code == "amount_too_large"
    assert services.campaign_budget_remaining(funded) == 10_000
    assert ledger_audit().clean


def test_refund_of_a_live_campaign_is_refused(funded):
    with pytest.raises(services.BillingError):
        services.campaign_refund_unused(campaign=funded, actor=funded.advertiser)


def test_end_and_cancel_buttons_refund(client, card_for, stripe_settings):
    ended = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(ended.advertiser)
    fund(ended, budget_cents=3_000)
    client.force_login(ended.advertiser)

    client.post(reverse("campaigns:action", args=[ended.public_id, "complete"]))

    ended.refresh_from_db()
    assert ended.status == CampaignStatus.COMPLETED
    assert AdvertiserCharge.objects.get(campaign=ended, kind="refund").amount == 3_300

    cancelled = CampaignFactory(salesman=True, awaiting_funding=True, advertiser=ended.advertiser)
    fund(cancelled, budget_cents=2_000)
    client.post(reverse("campaigns:action", args=[cancelled.public_id, "cancel"]), {"reason": "no longer needed"})

    cancelled.refresh_from_db()
    assert cancelled.status == CampaignStatus.CANCELLED
    assert AdvertiserCharge.objects.get(campaign=cancelled, kind="refund").amount == 2_200
    assert ledger_audit().clean


def test_billing_page_and_receipt_show_budgets_and_charges(client, funded, promoter):
    spend(funded, promoter, 2_500, "s1")
    client.force_login(funded.advertiser)

    body = client.get(reverse("billing:overview")).content.decode()

    assert "$100.00" in body and "$25.00" in body and "$75.00" in body and "•••• 4242" in body
    charge = AdvertiserCharge.objects.get(kind="charge")
    receipt = client.get(reverse("billing:receipt", args=[charge.public_id])).content.decode()
    assert "$110.00" in receipt and "$10.00" in receipt
