"""The shared Stripe request budget (billing.ratelimit): token buckets in PostgreSQL."""

import threading
import time

import pytest
from django.db import connection, transaction

from billing import ratelimit
from billing.ratelimit import Priority, RateBudgetExceeded

TRANSFERS = "POST /v1/transfers"


@pytest.fixture(autouse=True)
def full_buckets(db):
    """Each test starts with full buckets: a Stripe call in an earlier test of this worker wrote
    its bucket on a connection of its own, which that test's rollback left in place."""
    ratelimit.buckets_clear()


@pytest.fixture
def slow_budget(settings):
    """10 transfers a second, 100 overall, no headroom: easy figures."""
    settings.STRIPE_RATE_LIMIT_PER_SECOND = 100
    settings.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND = 10
    settings.STRIPE_RATE_LIMIT_HEADROOM = 1.0
    settings.STRIPE_RATE_LIMIT_BULK_RESERVE = 0.3
    return settings


def _drain(priority):
    taken = 0
    while True:
        try:
            ratelimit.take(endpoint=TRANSFERS, priority=priority, max_wait=0)
        except RateBudgetExceeded:
            return taken
        taken += 1


@pytest.mark.django_db(transaction=True)
def test_the_payout_run_leaves_the_reserve_to_immediate_payments(slow_budget):
    bulk = _drain(Priority.BULK)
    high = _drain(Priority.HIGH)

    # A full bucket of 10 less the 30% reserve (one more if it refilled meanwhile on a slow machine).
    assert 6 <= bulk <= 8
    assert high >= 2  # the reserve: a payment goes ahead of the run at once
    assert 9 <= bulk + high <= 12
    assert ratelimit.levels()[TRANSFERS] < 1


@pytest.mark.django_db(transaction=True)
def test_a_caller_waits_for_the_refill_instead_of_being_refused(slow_budget):
    _drain(Priority.HIGH)
    started = time.monotonic()

    waited = ratelimit.take(endpoint=TRANSFERS, priority=Priority.HIGH, max_wait=2)

    assert 0.05 < waited < 0.5  # one token at 10 a second: about 0.1 s
    assert time.monotonic() - started >= waited


@pytest.mark.django_db(transaction=True)
def test_a_limit_of_zero_is_no_limit(settings):
    settings.STRIPE_RATE_LIMIT_PER_SECOND = 0
    settings.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND = 0

    for _ in range(500):
        ratelimit.take(endpoint=TRANSFERS, max_wait=0)

    assert ratelimit.levels() == {}


@pytest.mark.django_db(transaction=True)
def test_threads_with_their_own_connections_share_one_budget(slow_budget):
    """Six senders for 1.5 s on separate connections (as separate workers would be) take no more
    than one bucket's burst plus the refill, between them."""
    slow_budget.STRIPE_RATE_LIMIT_BULK_RESERVE = 0
    _drain(Priority.HIGH)  # start empty: what follows is the refill only
    taken, errors = [], []
    start = threading.Barrier(6)
    stop_at = time.monotonic() + 1.5

    def sender():
        start.wait()
        count = 0
        try:
            while time.monotonic() < stop_at:
                try:
                    ratelimit.take(endpoint=TRANSFERS, priority=Priority.HIGH, max_wait=stop_at - time.monotonic())
                except RateBudgetExceeded:
                    break
                count += 1
        except Exception as error:
            errors.append(error)
        finally:
            taken.append(count)
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert 12 <= sum(taken) <= 16  # 10 a second for 1.5 s (+1 for the token at the edge)
    assert sum(1 for count in taken if count) >= 2  # shared, not one sender's monopoly


@pytest.mark.django_db(transaction=True)
def test_a_token_taken_inside_a_transaction_is_kept_and_locks_nothing(slow_budget):
    with transaction.atomic():
        ratelimit.take(endpoint=TRANSFERS, max_wait=0)
        other = []

        def take_elsewhere():
            try:
                other.append(ratelimit.take(endpoint=TRANSFERS, max_wait=0))
            finally:
                connection.close()

        thread = threading.Thread(target=take_elsewhere)
        thread.start()
        thread.join(timeout=5)
        assert not thread.is_alive()  # the bucket rows were not held by this transaction
        assert other == [pytest.approx(0, abs=0.5)]
        transaction.set_rollback(True)

    assert ratelimit.levels()[TRANSFERS] == pytest.approx(8, abs=0.5)  # both tokens stay taken


@pytest.mark.django_db(transaction=True)
def test_a_refund_without_budget_is_left_pending_for_the_retry_not_failed(card_for, stripe_sim, settings):
    """Refunds take from the same budget; none left within the wait is Stripe's 429: the refund row
    stays pending (the retry task sends it again, same key), nothing is marked refused."""
    from billing.models import AdvertiserCharge, ChargeKind, ChargeStatus
    from campaigns.tests.factories import CampaignFactory
    from tests.support.funding import fund_with_card as fund

    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=5_000)
    settings.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND = 0.01  # one token, then one per 100 s
    settings.STRIPE_RATE_LIMIT_HEADROOM = 1.0
    ratelimit.take(endpoint="POST /v1/refunds", max_wait=0)  # ...spent

    from campaigns import services as campaign_services

    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)

    refund = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.REFUND)
    assert refund.status == ChargeStatus.PENDING and not refund.stripe_refund_id
    assert [e for e in stripe_sim.events if e["type"] == "charge.refunded"] == []
