"""Both sides of a Consultant/Seller work see its immediate payment: sent, failed with Stripe's
reason, or waiting for the promoter's onboarding; the advertiser's work tab stays at a constant
number of queries however many works it lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import services as campaign_services
from campaigns.tests.factories import DeliverableFactory, PromoterCampaignFactory, WorkFactory
from payouts import services
from payouts.models import StripeTransfer, TransferStatus
from tests.support.funding import fund_with_charge as fund
from tests.support.funding import simulator_charge
from tests.support.payouts import connect_ready

pytestmark = pytest.mark.django_db


def _approved_work(capture, *, charge_id=""):
    deliverable = DeliverableFactory(status="submitted", amount=10_000, promoter_campaign__funded=False)
    fund(deliverable.promoter_campaign.campaign, 30_000, charge_id=charge_id)
    work = WorkFactory(deliverable=deliverable)
    return work


def _approve(work, capture):
    with capture(execute=True):
        campaign_services.work_approve(work=work, actor=None)
    return StripeTransfer.objects.get(work=work)


def _work_tab(client, campaign):
    client.force_login(campaign.advertiser)
    url = reverse("campaigns:advertiser_detail", args=[campaign.public_id]) + "?tab=work"
    return client.get(url).content.decode()


def test_advertiser_sees_a_payment_waiting_for_the_promoters_onboarding(
    client, stripe_sim, django_capture_on_commit_callbacks
):
    work = _approved_work(django_capture_on_commit_callbacks)
    participation = work.deliverable.promoter_campaign
    services.connect_account_get_or_create(user=participation.promoter)  # onboarding not finished
    transfer = _approve(work, django_capture_on_commit_callbacks)
    assert transfer.status == TransferStatus.PENDING

    page = _work_tab(client, participation.campaign)
    assert "Payment waiting" in page and "until they finish setting up payouts" in page

    client.force_login(participation.promoter)
    page = client.get(reverse("campaigns:participation_detail", args=[participation.public_id])).content.decode()
    assert "Payment waiting" in page and reverse("payouts:get_paid") in page


def test_advertiser_sees_a_failed_payment_and_stripes_reason_then_the_paid_one(
    client, stripe_sim, django_capture_on_commit_callbacks
):
    stripe_sim.add_balance(100_000)
    work = _approved_work(django_capture_on_commit_callbacks, charge_id=simulator_charge(33_000))
    participation = work.deliverable.promoter_campaign
    account = connect_ready(stripe_sim, participation.promoter)
    stripe_sim.set_capability(account.stripe_account_id, "transfers", "inactive")  # Stripe refuses
    transfer = _approve(work, django_capture_on_commit_callbacks)
    assert transfer.status == TransferStatus.FAILED and transfer.failure_reason
    assert transfer.failure_reason_code == "insufficient_capabilities_for_transfer"  # Stripe's code

    page = _work_tab(client, participation.campaign)
    assert "Payment failed" in page and transfer.failure_reason in page
    assert "The payout account cannot receive transfers yet" in page
    assert "retried automatically" in page

    stripe_sim.set_capability(account.stripe_account_id, "transfers", "active")
    services.transfer_send(transfer_id=transfer.pk)
    page = _work_tab(client, participation.campaign)
    assert "Payment failed" not in page and "Paid" in page and "$100.00" in page


def _extra_paid_work(campaign, status, reason=""):
    participation = PromoterCampaignFactory(campaign=campaign, agreed_amount=10_000, funded=False)
    deliverable = DeliverableFactory(promoter_campaign=participation, status="approved")
    work = WorkFactory(deliverable=deliverable, status="approved")
    StripeTransfer.objects.create(
        work=work,
        promoter=participation.promoter,
        kind="immediate",
        status=status,
        failure_reason_code="other" if reason else "",
        failure_reason=reason,
        amount=10_000,
        idempotency_key=f"transfer-work-{work.pk}",
        campaign=campaign,
    )


def test_work_tab_queries_do_not_grow_with_the_payments_listed(client, stripe_sim, django_capture_on_commit_callbacks):
    work = _approved_work(django_capture_on_commit_callbacks)
    campaign = work.deliverable.promoter_campaign.campaign
    _extra_paid_work(campaign, TransferStatus.FAILED, "Your destination account needs capabilities")
    _work_tab(client, campaign)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        _work_tab(client, campaign)
    for status in (TransferStatus.SUCCEEDED, TransferStatus.PENDING, TransferStatus.FAILED):
        _extra_paid_work(campaign, status, "refused")
    with CaptureQueriesContext(connection) as many:
        page = _work_tab(client, campaign)
    assert len(many) == len(few)
    assert page.count("data-transfer-status") == 4
