"""Races on the new money paths (PostgreSQL row locks): two retry runs at once send a reversed
milestone payment again once; a refunded sale racing the end of its campaign is refunded once."""

import threading

import pytest
from django.db import connection, transaction

from billing import ledger
from billing import services as billing_services
from billing.models import AdvertiserCharge, ChargeKind
from campaigns import services as campaign_services
from campaigns.tests.factories import CampaignFactory, DeliverableFactory, WorkFactory
from payouts import services
from payouts.models import StripeTransfer, TransferStatus, Wallet
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.funding import simulator_charge
from tests.support.payouts import connect_ready, earn

pytestmark = pytest.mark.django_db(transaction=True)


def _in_threads(*functions):
    errors = []
    barrier = threading.Barrier(len(functions))

    def run(function):
        try:
            barrier.wait(timeout=10)
            function()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(function,)) for function in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_two_retry_runs_at_once_send_a_reversed_payment_again_once(stripe_sim, stripe_client):
    deliverable = DeliverableFactory(status="submitted", amount=5_000, promoter_campaign__funded=False)
    fund(deliverable.promoter_campaign.campaign, 10_000, charge_id=simulator_charge(11_000))
    work = WorkFactory(deliverable=deliverable)
    promoter = deliverable.promoter_campaign.promoter
    connect_ready(stripe_sim, promoter)
    campaign_services.work_approve(work=work, actor=None)
    services.transfer_send(transfer_id=StripeTransfer.objects.get(work=work).pk)
    first = StripeTransfer.objects.get(work=work)
    stripe_client.v1.transfers.reversals.create(first.stripe_transfer_id)
    services.transfer_reversed(stripe_transfer_id=first.stripe_transfer_id)

    assert not _in_threads(services.transfers_retry_failed, services.transfers_retry_failed)

    again = StripeTransfer.objects.get(resend_of=first)
    assert again.status == TransferStatus.SUCCEEDED
    assert StripeTransfer.objects.filter(promoter=promoter).count() == 2
    assert len([e for e in stripe_sim.events if e["type"] == "transfer.created"]) == 2
    wallet = Wallet.objects.get(user=promoter)
    assert (wallet.direct_balance, wallet.direct_paid_total) == (0, 5_000)
    assert_books_clean()


def test_a_reversal_racing_the_end_is_refunded_once(stripe_sim, promoter):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    fund(campaign, 5_000, charge_id=simulator_charge(5_500))
    earn(campaign, promoter, 1_250, "sale-1")

    def reverse():
        with transaction.atomic():
            billing_services.campaign_budget_spend_reverse(
                campaign=campaign, promoter=promoter, spend_idempotency_key="sale-1", idempotency_key="r-1"
            )
        billing_services.ended_campaigns_refund_leftovers()

    def end():
        campaign_services.campaign_complete(campaign=campaign, actor=None)
        billing_services.ended_campaigns_refund_leftovers()

    assert not _in_threads(reverse, end)
    refunds = AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.REFUND, status="succeeded")
    assert sum(refunds.values_list("amount", flat=True)) == 5_500
    assert billing_services.campaign_budget_remaining(campaign) == 0
    assert ledger.campaign_fee_held(campaign).balance == 0
    assert_books_clean()
