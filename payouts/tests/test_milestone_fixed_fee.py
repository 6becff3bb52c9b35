"""Consultant/Seller campaigns under a fixed fee per milestone payment: approving work pays the
milestone and takes the fee from the budget (its milestone fee reserve) in the approval's
transaction; work whose amount fits the budget but not with its fee is not payable (a campaign
funded before the reserve existed); an ended campaign keeps both for work waiting for review.
The reserve itself: test_milestone_fee_reserve.py."""

import pytest

from billing import ledger
from billing import services as billing_services
from billing.models import AdvertiserCharge, ChargeKind, FeePlan, Transaction
from campaigns import services as campaign_services
from campaigns.models import WorkStatus
from campaigns.tests.factories import DeliverableFactory, WorkFactory
from payouts.models import StripeTransfer, TransferStatus, Wallet
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.funding import simulator_charge
from tests.support.payouts import connect_ready

pytestmark = pytest.mark.django_db


def _submitted_work(stripe_sim, *, campaign_type, budget, amount=10_000, fee_reserve=500):
    """A campaign under 10% + $5.00 per milestone payment, funded with `budget` (+10%, + the
    $5.00 reserved for its one milestone unless `fee_reserve` says otherwise), and a `amount`
    milestone's work submitted."""
    FeePlan.objects.create(name="Projects", campaign_type=campaign_type, percent_bp=1000, fixed_cents=500)
    deliverable = DeliverableFactory(
        status="submitted",
        amount=amount,
        promoter_campaign__funded=False,
        promoter_campaign__campaign__campaign_type=campaign_type,
    )
    campaign = deliverable.promoter_campaign.campaign
    charge_id = simulator_charge(budget + budget // 10 + fee_reserve)
    fund(campaign, budget, charge_id=charge_id, fee_reserve_cents=fee_reserve)
    connect_ready(stripe_sim, deliverable.promoter_campaign.promoter)
    return campaign, WorkFactory(deliverable=deliverable)


@pytest.mark.parametrize("campaign_type", ["consultant", "seller"])
def test_approval_pays_the_milestone_and_takes_its_fee_from_the_budget(
    stripe_sim, django_capture_on_commit_callbacks, campaign_type
):
    campaign, work = _submitted_work(stripe_sim, campaign_type=campaign_type, budget=30_000)

    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_services.work_approve(work=work, actor=campaign.advertiser)

    transfer = StripeTransfer.objects.get(work=work)
    assert (transfer.status, transfer.amount) == (TransferStatus.SUCCEEDED, 10_000)  # the promoter's whole amount
    promoter = work.deliverable.promoter_campaign.promoter
    assert Wallet.objects.get(user=promoter).direct_paid_total == 10_000
    # The fee came out of the $5.00 reserved for it at funding: the rest of the agreed amount is left.
    assert billing_services.campaign_budget_remaining(campaign) == 30_000 + 500 - 10_000 - 500
    assert ledger.platform_revenue().balance == 1_000 + 500
    fixed = Transaction.objects.get(idempotency_key=f"spend-fixed-fee:work-{work.pk}")
    assert fixed.amount == 500 and fixed.source == ledger.campaign_budget(campaign)
    assert_books_clean()


def test_work_the_budget_pays_but_not_with_its_fee_is_not_approved(stripe_sim, django_capture_on_commit_callbacks):
    # Funded before the milestone fee reserve existed: the agreed amount alone.
    campaign, work = _submitted_work(stripe_sim, campaign_type="consultant", budget=10_000, fee_reserve=0)
    before = Transaction.objects.count()

    with (
        pytest.raises(campaign_services.WorkNotPayable, match=r"\$5\.00 platform fee"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        campaign_services.work_approve(work=work, actor=campaign.advertiser)

    work.refresh_from_db()
    assert work.status == WorkStatus.SUBMITTED
    assert not StripeTransfer.objects.exists()
    assert Transaction.objects.count() == before
    assert billing_services.campaign_budget_remaining(campaign) == 10_000
    assert_books_clean()


def test_an_ended_campaign_keeps_the_milestone_and_its_fee_for_waiting_work(
    stripe_sim, django_capture_on_commit_callbacks
):
    campaign, work = _submitted_work(stripe_sim, campaign_type="consultant", budget=30_000)

    campaign_services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="changed plans")

    first = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.REFUND)
    # The waiting milestone keeps its amount and, of the reserve, its fee.
    assert (first.budget_amount, first.fee_amount, first.fee_reserve_amount) == (30_000 - 10_000, 3_000 - 1_000, 0)
    assert billing_services.campaign_budget_remaining(campaign) == 10_500

    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_services.work_approve(work=work, actor=campaign.advertiser)

    assert StripeTransfer.objects.get(work=work).amount == 10_000
    assert billing_services.campaign_budget_remaining(campaign) == 0
    assert ledger.campaign_fee_held(campaign).balance == 0
    assert ledger.platform_revenue().balance == 1_000 + 500
    assert 10_000 + 1_000 + 500 + first.amount == 33_500
    assert_books_clean()
