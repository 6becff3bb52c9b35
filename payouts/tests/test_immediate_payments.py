"""Consultant/Seller work is paid on approval: budget spent into the promoter's direct account
inside the approval, then one Stripe transfer (source_transaction = the funding charge)."""

import time

import pytest
from django.db import transaction

from billing import ledger
from campaigns import services as campaign_services
from campaigns.models import WorkStatus
from campaigns.tests.factories import DeliverableFactory, WorkFactory
from payouts import services
from payouts.models import StripeTransfer, TransferKind, TransferStatus, Wallet
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.funding import simulator_charge
from tests.support.payouts import connect_ready

pytestmark = pytest.mark.django_db


def _submitted_work(amount=10_000, *, charge_id=""):
    # funded=False: the factory's own funding has no charge in the simulator to transfer from.
    deliverable = DeliverableFactory(status="submitted", amount=amount, promoter_campaign__funded=False)
    campaign = deliverable.promoter_campaign.campaign
    fund(campaign, 30_000, charge_id=charge_id)
    return WorkFactory(deliverable=deliverable)


def _approve(work, capture):
    with capture(execute=True):
        assert campaign_services.work_approve(work=work, actor=None)


def test_approval_pays_the_deliverable_amount_at_once(stripe_sim, django_capture_on_commit_callbacks):
    work = _submitted_work(charge_id=simulator_charge(33_000))
    promoter = work.deliverable.promoter_campaign.promoter
    connect_ready(stripe_sim, promoter)
    _approve(work, django_capture_on_commit_callbacks)

    transfer = StripeTransfer.objects.get(work=work)
    assert transfer.kind == TransferKind.IMMEDIATE and transfer.status == TransferStatus.SUCCEEDED
    assert transfer.amount == 10_000 and transfer.attempts == 1
    campaign = work.deliverable.promoter_campaign.campaign
    assert transfer.transfer_group == f"campaign-{campaign.public_id}"
    remote = next(e for e in stripe_sim.events if e["type"] == "transfer.created")["data"]["object"]
    assert remote["source_transaction"] == transfer.source_transaction != ""
    assert remote["transfer_group"] == transfer.transfer_group
    wallet = Wallet.objects.get(user=promoter)
    assert (wallet.direct_balance, wallet.direct_paid_total) == (0, 10_000)
    work.deliverable.promoter_campaign.refresh_from_db()
    assert work.deliverable.promoter_campaign.final_payout_amount == 10_000
    assert_books_clean()


def test_payment_waits_in_the_wallet_until_the_account_is_ready(stripe_sim, django_capture_on_commit_callbacks):
    stripe_sim.add_balance(100_000)
    work = _submitted_work()
    promoter = work.deliverable.promoter_campaign.promoter
    account = services.connect_account_get_or_create(user=promoter)
    _approve(work, django_capture_on_commit_callbacks)
    transfer = StripeTransfer.objects.get(work=work)
    assert transfer.status == TransferStatus.PENDING and transfer.attempts == 0
    assert Wallet.objects.get(user=promoter).direct_balance == 10_000
    assert_books_clean()

    # Onboarding finished: account.updated re-reads the account and sends what waited.
    stripe_sim.complete_onboarding(account.stripe_account_id)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.connect_account_refresh(stripe_account_id=account.stripe_account_id)
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SUCCEEDED
    assert Wallet.objects.get(user=promoter).direct_balance == 0
    assert_books_clean()


def test_immediate_payment_retried_after_a_timeout_pays_once(stripe_sim, settings, django_capture_on_commit_callbacks):
    from billing import gateway

    stripe_sim.add_balance(100_000)
    work = _submitted_work()
    promoter = work.deliverable.promoter_campaign.promoter
    connect_ready(stripe_sim, promoter)
    settings.STRIPE_TIMEOUT_SECONDS = 1
    gateway._client.cache_clear()
    stripe_sim.configure(timeout_seconds=2)
    stripe_sim.fail_next(1, "timeout")  # Stripe makes the transfer, but we never hear back
    _approve(work, django_capture_on_commit_callbacks)
    transfer = StripeTransfer.objects.get(work=work)
    assert transfer.status == TransferStatus.FAILED and transfer.failure_reason
    assert transfer.failure_reason_code == "stripe_unavailable"  # retried with the same key
    assert Wallet.objects.get(user=promoter).direct_balance == 10_000
    time.sleep(1.2)  # the stalled first request finishes at Stripe (a retry meanwhile gets 409)

    services.transfers_retry_failed()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SUCCEEDED and transfer.attempts == 2, transfer.failure_reason
    assert transfer.idempotency_key == f"transfer-work-{work.pk}"
    assert len([e for e in stripe_sim.events if e["type"] == "transfer.created"]) == 1
    wallet = Wallet.objects.get(user=promoter)
    assert (wallet.direct_balance, wallet.direct_paid_total) == (0, 10_000)
    assert_books_clean()


def test_approving_twice_pays_once(stripe_sim, django_capture_on_commit_callbacks):
    stripe_sim.add_balance(100_000)
    work = _submitted_work()
    connect_ready(stripe_sim, work.deliverable.promoter_campaign.promoter)
    _approve(work, django_capture_on_commit_callbacks)
    assert not campaign_services.work_approve(work=work, actor=None)
    services.transfer_send(transfer_id=StripeTransfer.objects.get().pk)
    assert StripeTransfer.objects.count() == 1
    assert len([e for e in stripe_sim.events if e["type"] == "transfer.created"]) == 1
    assert_books_clean()


def test_unfunded_budget_refuses_the_approval(stripe_sim):
    work = WorkFactory(
        deliverable=DeliverableFactory(status="submitted", amount=10_000, promoter_campaign__funded=False)
    )
    with pytest.raises(campaign_services.WorkNotPayable, match="cannot pay for this work"):
        campaign_services.work_approve(work=work, actor=None)
    work.refresh_from_db()
    assert work.status == WorkStatus.SUBMITTED
    assert not StripeTransfer.objects.exists()


def test_several_milestones_each_paid(stripe_sim, django_capture_on_commit_callbacks):
    stripe_sim.add_balance(100_000)
    first = _submitted_work(amount=10_000)
    participation = first.deliverable.promoter_campaign
    second = WorkFactory(deliverable=DeliverableFactory(promoter_campaign=participation, status="submitted"))
    connect_ready(stripe_sim, participation.promoter)
    _approve(first, django_capture_on_commit_callbacks)
    _approve(second, django_capture_on_commit_callbacks)
    assert StripeTransfer.objects.filter(status=TransferStatus.SUCCEEDED).count() == 2
    assert Wallet.objects.get(user=participation.promoter).direct_paid_total == 20_000
    assert ledger.promoter_direct(participation.promoter).balance == 0
    assert_books_clean()
