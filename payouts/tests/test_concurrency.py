"""Two closes or two payout runs at once pay every wallet exactly once (PostgreSQL row locks)."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection

from accounts.tests.factories import PromoterFactory
from campaigns.models import CampaignType
from campaigns.tests.factories import CampaignFactory
from payouts import services
from payouts.models import PayoutRecord, PayoutStatus, Wallet
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import connect_ready, earn

pytestmark = [pytest.mark.django_db(transaction=True)]

JAN = datetime.date(2026, 1, 1)


def _in_threads(function, count=2):
    errors = []
    barrier = threading.Barrier(count)

    def run():
        try:
            barrier.wait(timeout=10)
            function()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _three_promoters_earning(stripe_sim):
    stripe_sim.add_balance(1_000_000)
    promoters = PromoterFactory.create_batch(3)
    with time_machine.travel(datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC), tick=False):
        campaign = CampaignFactory(awaiting_funding=True, campaign_type=CampaignType.VISIBILITY, max_views=10_000)
        fund(campaign, 30_000)
        for index, promoter in enumerate(promoters):
            earn(campaign, promoter, 2000 + index * 1000, f"views-{promoter.pk}")
            connect_ready(stripe_sim, promoter)
    return promoters


def _assert_each_paid_once(stripe_sim, promoters):
    assert PayoutRecord.objects.filter(status=PayoutStatus.PAID).count() == 3
    for index, promoter in enumerate(promoters):
        wallet = Wallet.objects.get(user=promoter)
        assert (wallet.current_balance, wallet.paid_out_total) == (0, 2000 + index * 1000)
    created = [e for e in stripe_sim.events if e["type"] == "transfer.created"]
    assert len(created) == 3
    assert_books_clean()


def test_two_concurrent_closes_pay_each_wallet_once(stripe_sim):
    promoters = _three_promoters_earning(stripe_sim)
    with time_machine.travel(datetime.datetime(2026, 2, 1, 6, tzinfo=datetime.UTC), tick=True):
        errors = _in_threads(lambda: services.period_close(period=JAN))
        assert not errors, errors
        # Whatever a racing run left failed (Stripe answers 409 to a key in flight) the next run pays.
        services.payout_run(period=JAN)
    _assert_each_paid_once(stripe_sim, promoters)


def test_two_concurrent_payout_runs_pay_each_wallet_once(stripe_sim):
    promoters = _three_promoters_earning(stripe_sim)
    with time_machine.travel(datetime.datetime(2026, 2, 1, 6, tzinfo=datetime.UTC), tick=True):
        services.pending_release(period=JAN)
        errors = _in_threads(lambda: services.payout_run(period=JAN), count=3)
        assert not errors, errors
        services.payout_run(period=JAN)
    _assert_each_paid_once(stripe_sim, promoters)
