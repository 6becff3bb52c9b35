"""Work submitted before a Consultant/Seller campaign is cancelled or ended stays payable: its
milestone's money is not refunded while it waits for review; approving it (or the overdue
auto-approval) pays it, rejecting it refunds it to the advertiser."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import ledger
from billing import services as billing_services
from billing.models import AdvertiserCharge, ChargeKind
from campaigns import services as campaign_services
from campaigns.models import CampaignStatus, WorkStatus
from campaigns.tests.factories import DeliverableFactory, WorkFactory
from payouts.models import StripeTransfer, TransferStatus, Wallet
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.funding import simulator_charge
from tests.support.payouts import connect_ready

pytestmark = pytest.mark.django_db


def _waiting_work(stripe_sim):
    """Consultant campaign funded with $300 (+$30 fee); a $100 milestone's work is submitted."""
    deliverable = DeliverableFactory(status="submitted", amount=10_000, promoter_campaign__funded=False)
    campaign = deliverable.promoter_campaign.campaign
    fund(campaign, 30_000, charge_id=simulator_charge(33_000))
    work = WorkFactory(deliverable=deliverable)
    connect_ready(stripe_sim, deliverable.promoter_campaign.promoter)
    return campaign, work


def _refunded(campaign):
    rows = AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.REFUND, status="succeeded")
    return sum(rows.values_list("budget_amount", flat=True)), sum(rows.values_list("fee_amount", flat=True))


@pytest.mark.parametrize("end", ["cancel", "end"])
def test_ending_keeps_the_money_of_work_waiting_for_review(stripe_sim, end):
    campaign, _ = _waiting_work(stripe_sim)
    if end == "cancel":
        campaign_services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="changed plans")
    else:
        campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
    assert _refunded(campaign) == (20_000, 2_000)
    assert billing_services.campaign_budget_remaining(campaign) == 10_000
    assert ledger.campaign_fee_held(campaign).balance == 1_000
    assert_books_clean()


def test_approving_after_cancel_pays_the_promoter(stripe_sim, client, django_capture_on_commit_callbacks):
    campaign, work = _waiting_work(stripe_sim)
    client.force_login(campaign.advertiser)
    response = client.post(
        reverse("campaigns:action", args=[campaign.public_id, "cancel"]), {"reason": "changed plans"}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("campaigns:work_review", args=[work.public_id, "approve"]))
    assert response.status_code == 302
    work.refresh_from_db()
    assert work.status == WorkStatus.APPROVED
    transfer = StripeTransfer.objects.get(work=work)
    assert (transfer.status, transfer.amount) == (TransferStatus.SUCCEEDED, 10_000)
    promoter = work.deliverable.promoter_campaign.promoter
    assert Wallet.objects.get(user=promoter).direct_paid_total == 10_000
    assert billing_services.campaign_budget_remaining(campaign) == 0
    assert ledger.campaign_fee_held(campaign).balance == 0
    assert _refunded(campaign) == (20_000, 2_000)
    assert_books_clean()


def test_overdue_auto_approval_after_cancel_pays_the_promoter(stripe_sim, django_capture_on_commit_callbacks):
    campaign, work = _waiting_work(stripe_sim)
    campaign_services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="changed plans")
    later = timezone.now() + datetime.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_services.works_auto_approve_overdue(now=later) == 1
    assert StripeTransfer.objects.get(work=work).status == TransferStatus.SUCCEEDED
    assert billing_services.campaign_budget_remaining(campaign) == 0
    assert_books_clean()


def test_rejecting_after_cancel_refunds_the_milestone(stripe_sim, django_capture_on_commit_callbacks):
    campaign, work = _waiting_work(stripe_sim)
    campaign_services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="changed plans")
    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.work_reject(work=work, actor=campaign.advertiser, code="brief", note="not what we agreed")
    assert _refunded(campaign) == (30_000, 3_000)
    assert billing_services.campaign_budget_remaining(campaign) == 0
    assert ledger.campaign_fee_held(campaign).balance == 0
    assert not StripeTransfer.objects.exists()
    assert_books_clean()


def test_no_revision_can_be_asked_once_the_campaign_has_ended(stripe_sim):
    campaign, work = _waiting_work(stripe_sim)
    campaign_services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="changed plans")
    with pytest.raises(campaign_services.CampaignError, match="approve or reject"):
        campaign_services.work_request_revision(work=work, actor=campaign.advertiser, code="incomplete", note="more")
    work.refresh_from_db()
    assert work.status == WorkStatus.SUBMITTED
