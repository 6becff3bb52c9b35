"""The payout run at Stripe's pace: concurrent sends under the shared budget, slices, resuming a
run killed half-way, progress for staff. Through the real stripe client and the simulator with
latency and rate limits on."""

import datetime
import time

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import PromoterFactory
from billing import gateway, ratelimit
from campaigns.models import CampaignType
from campaigns.tests.factories import CampaignFactory
from payouts import services, tasks
from payouts.models import PayoutRecord, PayoutRun, PayoutRunStatus, PayoutStatus, StripeTransfer
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import connect_ready, earn

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)
MID_JAN = datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC)
CLOSE_DAY = datetime.datetime(2026, 2, 1, 6, 0, tzinfo=datetime.UTC)


@pytest.fixture
def paced(settings, stripe_sim):
    """Stripe answers in 100 ms and allows 10 transfers a second; the platform aims at 95%."""
    settings.STRIPE_RATE_LIMIT_PER_SECOND = 100
    settings.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND = 10
    settings.STRIPE_RATE_LIMIT_BACKOFF_SECONDS = 0.05
    settings.PAYOUT_RUN_CONCURRENCY = 4
    stripe_sim.add_balance(1_000_000)
    # Full buckets: an earlier test's Stripe calls wrote theirs on a connection of their own,
    # which its rollback left in place (billing.ratelimit).
    ratelimit.buckets_clear()
    return stripe_sim


def _promoters_owed(stripe_sim, count, amount=2_500):
    promoters = [PromoterFactory() for _ in range(count)]
    with time_machine.travel(MID_JAN, tick=False):
        campaign = CampaignFactory(
            awaiting_funding=True, campaign_type=CampaignType.VISIBILITY, cpv=300, max_views=200_000
        )
        fund(campaign, amount * count)
        for n, promoter in enumerate(promoters):
            earn(campaign, promoter, amount, f"views-{n}")
            connect_ready(stripe_sim, promoter)
    return promoters


def _transfers_at_stripe(stripe_sim):
    return [e["data"]["object"] for e in stripe_sim.events if e["type"] == "transfer.created"]


def test_the_run_sends_concurrently_at_the_budgets_pace_without_a_429(paced):
    _promoters_owed(paced, 16)
    paced.configure(latency_ms=100, endpoint_rate_limits={"POST /v1/transfers": 10})
    started = time.monotonic()

    with time_machine.travel(CLOSE_DAY, tick=True):
        report = services.period_close(period=JAN)

    elapsed = time.monotonic() - started
    assert (report.run.paid, report.run.failed) == (16, 0)
    # One at a time: 16 x 0.1 s at least; 4 in flight at 9.5 a second: about 0.7 s once the
    # bucket's first second is spent (it starts full).
    assert elapsed < 1.6
    assert paced.pace.limited == 0  # our budget kept under Stripe's limit
    assert len(_transfers_at_stripe(paced)) == 16
    run = PayoutRun.objects.get(period=JAN)
    assert (run.status, run.sent, run.failed, run.left, run.sent_cents) == (PayoutRunStatus.FINISHED, 16, 0, 0, 40_000)
    assert run.lease_until is None
    assert_books_clean()


def test_a_slice_stops_at_its_time_and_the_next_one_finishes(paced, settings):
    _promoters_owed(paced, 12)
    settings.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND = 4  # 3.8 a second once the first burst is spent
    paced.configure(endpoint_rate_limits={"POST /v1/transfers": 4})

    with time_machine.travel(CLOSE_DAY, tick=True):
        first = services.period_close(period=JAN, slice_seconds=1.0)
        run = PayoutRun.objects.get(period=JAN)
        assert first.run.unfinished and 0 < first.run.paid < 12
        assert run.status == PayoutRunStatus.RUNNING and run.sent == first.run.paid
        assert run.left == 12 - first.run.paid
        assert PayoutRecord.objects.filter(status=PayoutStatus.FAILED).count() == 0

        second = services.payout_run(period=JAN)

    assert first.run.paid + second.paid == 12 and not second.unfinished
    assert PayoutRecord.objects.filter(period=JAN, status=PayoutStatus.PAID).count() == 12
    assert len(_transfers_at_stripe(paced)) == 12
    run.refresh_from_db()
    assert (run.status, run.sent, run.left) == (PayoutRunStatus.FINISHED, 12, 0)
    assert_books_clean()


def test_a_run_killed_after_stripe_answered_resumes_and_pays_no_one_twice(paced):
    """The worker died between Stripe's answer and the record of it: the transfer exists at
    Stripe, the record is still pending and the run's lease runs out. The schedule resumes the
    run; Stripe answers the same idempotency key with the same transfer, recorded once."""
    _promoters_owed(paced, 5)
    with time_machine.travel(CLOSE_DAY, tick=True):
        services.pending_release(period=JAN)
        services.payout_records_create(period=JAN, report=services.RunReport(period=JAN))
        killed = StripeTransfer.objects.filter(payout_record__period=JAN).order_by("pk")[:2]
        for transfer in killed:  # what the dead worker had sent
            gateway.transfer_create(
                amount=transfer.amount,
                currency=transfer.currency,
                destination=transfer.promoter.connect_account.stripe_account_id,
                transfer_group=transfer.transfer_group,
                source_transaction=None,
                idempotency_key=transfer.idempotency_key,
                metadata={"payout_record": str(transfer.payout_record_id)},
            )
        PayoutRun.objects.create(
            period=JAN, status=PayoutRunStatus.RUNNING, lease_until=CLOSE_DAY - datetime.timedelta(minutes=1)
        )
        assert services.payout_runs_abandoned() == [JAN]

        tasks.retry_failed_transfers()  # the 15-minute schedule (tasks run inline in tests)

    assert PayoutRecord.objects.filter(period=JAN, status=PayoutStatus.PAID).count() == 5
    assert len(_transfers_at_stripe(paced)) == 5  # the two sent before the crash were not sent again
    assert services.payout_runs_abandoned() == []
    assert_books_clean()


def test_a_run_held_by_another_process_is_left_to_it(paced):
    _promoters_owed(paced, 2)
    with time_machine.travel(CLOSE_DAY, tick=True):
        PayoutRun.objects.create(period=JAN, lease_until=CLOSE_DAY + datetime.timedelta(minutes=2))

        report = services.period_close(period=JAN)

    assert report.run.busy and report.run.paid == 0
    assert PayoutRecord.objects.filter(period=JAN, status=PayoutStatus.PENDING).count() == 2
    assert _transfers_at_stripe(paced) == []


def test_the_monthly_task_goes_on_in_slices_until_everyone_is_paid(paced, settings):
    _promoters_owed(paced, 6)
    settings.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND = 4
    settings.PAYOUT_RUN_SLICE_SECONDS = 0.5
    paced.configure(endpoint_rate_limits={"POST /v1/transfers": 4})

    with time_machine.travel(CLOSE_DAY, tick=True):
        tasks.close_previous_month()  # queues its continuations (inline in tests)

    assert PayoutRecord.objects.filter(period=JAN, status=PayoutStatus.PAID).count() == 6
    assert PayoutRun.objects.get(period=JAN).status == PayoutRunStatus.FINISHED
    assert len(_transfers_at_stripe(paced)) == 6
    assert_books_clean()


def test_staff_see_a_running_runs_progress(admin_client):
    now = datetime.datetime.now(datetime.UTC)
    run = PayoutRun.objects.create(period=JAN, sent=1500, failed=3, left=500, rate_limited=7, sent_cents=3_000_000)
    PayoutRun.objects.filter(pk=run.pk).update(
        slice_started_at=now - datetime.timedelta(seconds=60), slice_sent=1500, updated_at=now
    )
    run.refresh_from_db()
    assert run.per_second == pytest.approx(25, rel=0.01)
    assert run.expected_finish == pytest.approx(now + datetime.timedelta(seconds=20), abs=datetime.timedelta(seconds=1))

    listing = admin_client.get(reverse("admin:payouts_payoutrun_changelist"))
    detail = admin_client.get(reverse("admin:payouts_payoutrun_change", args=[run.pk]))

    assert listing.status_code == 200 and detail.status_code == 200
    text = listing.content.decode()
    for figure in ("1500", "500", "25.0"):
        assert figure in text
    assert "Expected finish" in text
    assert "Running" in detail.content.decode()


def test_an_immediate_payment_goes_ahead_of_a_run_that_keeps_the_budget_empty(paced, settings, promoter):
    """The run (bulk) has taken every token it may: an immediate payment (high priority) still
    finds one at once, from the reserve the run leaves."""
    # 4 transfers a second, half kept for payments: the run may take one only while 3 are left,
    # so payments find 2 (not just 1: a token another sender takes meanwhile must not decide it).
    settings.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND = 4
    settings.STRIPE_RATE_LIMIT_BULK_RESERVE = 0.5
    settings.STRIPE_RATE_LIMIT_HEADROOM = 1.0
    connect_ready(paced, promoter)
    account = promoter.connect_account.stripe_account_id
    while True:
        try:
            ratelimit.take(endpoint="POST /v1/transfers", priority=ratelimit.Priority.BULK, max_wait=0)
        except ratelimit.RateBudgetExceeded:
            break
    with pytest.raises(gateway.GatewayRateLimited):  # the run's next transfer has to wait
        gateway.transfer_create(
            amount=100,
            currency="usd",
            destination=account,
            transfer_group="",
            source_transaction=None,
            idempotency_key="bulk-1",
            metadata={},
            priority=ratelimit.Priority.BULK,
            max_wait=0,
        )

    started = time.monotonic()
    sent = gateway.transfer_create(
        amount=100,
        currency="usd",
        destination=account,
        transfer_group="",
        source_transaction=None,
        idempotency_key="immediate-1",
        metadata={},
        max_wait=0,
    )

    assert sent.id.startswith("tr_") and time.monotonic() - started < 0.5
    assert paced.pace.limited == 0
