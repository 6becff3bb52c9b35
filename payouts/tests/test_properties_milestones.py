"""Property: in a Consultant campaign, whatever the order of submitting, approving, rejecting,
ending, auto-approving, reversing paid milestones at Stripe, replaying those reversals and
retrying, the books balance, work submitted before the end is always payable, nothing is paid
twice, and an ended campaign keeps no money once its waiting work is reviewed."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import ledger
from billing import services as billing_services
from campaigns import services as campaign_services
from campaigns.models import CampaignStatus, WorkStatus
from campaigns.tests.factories import DeliverableFactory, WorkFactory
from payouts import services
from payouts.models import StripeTransfer, TransferStatus, Wallet
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.funding import simulator_charge
from tests.support.payouts import connect_ready

pytestmark = pytest.mark.django_db

MILESTONES = 3
steps = st.lists(
    st.one_of(
        st.tuples(st.just("approve"), st.integers(0, MILESTONES - 1)),
        st.tuples(st.just("reject"), st.integers(0, MILESTONES - 1)),
        st.tuples(st.just("end"), st.sampled_from(["complete", "cancel"])),
        st.tuples(st.just("auto_approve"), st.just(0)),
        st.tuples(st.just("reverse"), st.integers(0, 8)),
        st.tuples(st.just("replay_reversal"), st.integers(0, 8)),
        st.tuples(st.just("retry"), st.just(0)),
    ),
    min_size=1,
    max_size=10,
)


def _check(campaign, promoter, works):
    assert_books_clean()
    for work in works:
        # Nothing paid twice: at most one transfer not reversed per milestone.
        chain = StripeTransfer.objects.filter(work=work).first()
        live = 0
        while chain is not None:
            live += chain.status != TransferStatus.REVERSED
            chain = StripeTransfer.objects.filter(resend_of=chain).first()
        assert live <= 1
    wallet = Wallet.objects.filter(user=promoter).first() or Wallet(user=promoter)  # made by the first posting
    sent = sum(
        StripeTransfer.objects.filter(promoter=promoter, status=TransferStatus.SUCCEEDED).values_list(
            "amount", flat=True
        )
    )
    assert wallet.direct_paid_total == sent
    approved = sum(work.deliverable.amount for work in works if work.status == WorkStatus.APPROVED)
    assert wallet.direct_paid_total + wallet.direct_balance == approved
    campaign.refresh_from_db()
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        waiting = sum(work.deliverable.amount for work in works if work.status == WorkStatus.SUBMITTED)
        assert billing_services.campaign_budget_remaining(campaign) == waiting


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_milestones_add_up_whatever_happens(stripe_sim, stripe_client, django_capture_on_commit_callbacks, steps):
    capture = django_capture_on_commit_callbacks
    stripe_sim.add_balance(1_000_000)
    first = DeliverableFactory(status="submitted", amount=10_000, promoter_campaign__funded=False)
    participation = first.promoter_campaign
    campaign, promoter = participation.campaign, participation.promoter
    fund(campaign, 30_000, charge_id=simulator_charge(33_000))
    deliverables = [first] + [
        DeliverableFactory(promoter_campaign=participation, status="submitted", amount=amount)
        for amount in (7_000, 13_000)
    ]
    works = [WorkFactory(deliverable=deliverable) for deliverable in deliverables]
    connect_ready(stripe_sim, promoter)
    for action, value in steps:
        for work in works:
            work.refresh_from_db()
        if action in ("approve", "reject"):
            work = works[value]
            try:
                with capture(execute=True):
                    if action == "approve":
                        campaign_services.work_approve(work=work, actor=campaign.advertiser)
                    else:
                        campaign_services.work_reject(work=work, actor=campaign.advertiser, code="quality")
            except campaign_services.InvalidTransition:
                assert work.status != WorkStatus.SUBMITTED  # reviewed already
        elif action == "end":
            campaign.refresh_from_db()
            if campaign.status not in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
                if value == "complete":
                    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
                else:
                    campaign_services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="stop")
        elif action == "auto_approve":
            with capture(execute=True):
                campaign_services.works_auto_approve_overdue(now=timezone.now() + datetime.timedelta(days=30))
        elif action in ("reverse", "replay_reversal"):
            sent = list(
                StripeTransfer.objects.filter(promoter=promoter).exclude(stripe_transfer_id=None).order_by("pk")
            )
            if sent:
                transfer = sent[value % len(sent)]
                if action == "reverse" and transfer.status == TransferStatus.SUCCEEDED:
                    stripe_client.v1.transfers.reversals.create(transfer.stripe_transfer_id)
                with capture(execute=True):
                    services.transfer_reversed(stripe_transfer_id=transfer.stripe_transfer_id)
        else:
            with capture(execute=True):
                services.transfers_retry_failed()
        for work in works:
            work.refresh_from_db()
        _check(campaign, promoter, works)
    # Once every waiting work is reviewed, an ended campaign holds nothing.
    campaign.refresh_from_db()
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        for work in works:
            work.refresh_from_db()
            if work.status == WorkStatus.SUBMITTED:
                with capture(execute=True):
                    campaign_services.work_reject(work=work, actor=campaign.advertiser, code="late")
        assert billing_services.campaign_budget_remaining(campaign) == 0
        assert ledger.campaign_fee_held(campaign).balance == 0
        assert_books_clean()
