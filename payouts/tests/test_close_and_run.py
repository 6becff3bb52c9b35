"""The monthly close and the payout run, through the real stripe client and the simulator."""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import Notification, NotificationKind
from billing import ledger
from campaigns.models import CampaignType
from campaigns.tests.factories import CampaignFactory
from payouts import services
from payouts.models import (
    BillingPeriodSummary,
    PayoutRecord,
    PayoutStatus,
    PeriodClose,
    PromoterBalance,
    StripeTransfer,
    TransferStatus,
    Wallet,
)
from payouts.services import run
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import connect_ready, earn

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)
MID_JAN = datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC)
CLOSE_DAY = datetime.datetime(2026, 2, 1, 6, 0, tzinfo=datetime.UTC)


def _visibility_campaign():
    campaign = CampaignFactory(awaiting_funding=True, campaign_type=CampaignType.VISIBILITY, cpv=300, max_views=2000)
    fund(campaign, 6000)
    return campaign


def _wallet(user):
    return Wallet.objects.get(user=user)


def test_seed_example_60_dollars_for_2000_views_is_paid_at_the_close(stripe_sim, promoter):
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        campaign = _visibility_campaign()
        # $3 per 100 views x 2,000 views = floor(2000 * 300 / 100) cents.
        earn(campaign, promoter, 2000 * 300 // 100, "views-1")
        connect_ready(stripe_sim, promoter)
    wallet = _wallet(promoter)
    assert (wallet.pending_balance, wallet.current_balance) == (6000, 0)
    promoter.refresh_from_db()
    assert promoter.wallet_balance == 6000

    with time_machine.travel(CLOSE_DAY, tick=False):
        report = services.period_close(period=JAN)

    assert report.released_cents == 6000
    assert report.run.paid == 1 and report.run.paid_cents == 6000
    wallet = _wallet(promoter)
    assert (wallet.pending_balance, wallet.current_balance, wallet.paid_out_total) == (0, 0, 6000)
    record = PayoutRecord.objects.get(promoter=promoter, period=JAN)
    assert record.status == PayoutStatus.PAID and record.amount == 6000
    transfer = record.stripe_transfer
    assert transfer.status == TransferStatus.SUCCEEDED and transfer.stripe_transfer_id.startswith("tr_")
    remote = [e for e in stripe_sim.events if e["type"] == "transfer.created"]
    assert len(remote) == 1 and remote[0]["data"]["object"]["amount"] == 6000
    summary = BillingPeriodSummary.objects.get(user=promoter, period=JAN)
    assert (summary.earned_visibility, summary.paid_out, summary.carried_forward) == (6000, 6000, 0)
    advertiser_summary = BillingPeriodSummary.objects.get(user=campaign.advertiser, period=JAN)
    assert (advertiser_summary.funded, advertiser_summary.spent, advertiser_summary.fees) == (6600, 6000, 600)
    assert PromoterBalance.objects.get(promoter=promoter, period=JAN).current_balance == 6000
    promoter.refresh_from_db()
    assert promoter.wallet_balance == 0
    assert_books_clean()


def test_earnings_after_the_period_end_wait_for_the_next_close(stripe_sim, promoter):
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        campaign = _visibility_campaign()
        earn(campaign, promoter, 2500, "views-jan")
        connect_ready(stripe_sim, promoter)
    with time_machine.travel(datetime.datetime(2026, 2, 1, 0, 30, tzinfo=datetime.UTC), tick=False):
        earn(campaign, promoter, 1000, "views-feb")
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
    wallet = _wallet(promoter)
    assert (wallet.pending_balance, wallet.current_balance, wallet.paid_out_total) == (1000, 0, 2500)
    assert_books_clean()


@pytest.mark.parametrize(("earned", "paid"), [(1999, False), (2000, True)])
def test_below_threshold_carries_forward_and_at_threshold_pays(stripe_sim, promoter, earned, paid):
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        earn(_visibility_campaign(), promoter, earned, "views-1")
        connect_ready(stripe_sim, promoter)
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
    wallet = _wallet(promoter)
    summary = BillingPeriodSummary.objects.get(user=promoter, period=JAN)
    if paid:
        assert (wallet.current_balance, wallet.paid_out_total) == (0, 2000)
        assert (summary.paid_out, summary.carried_forward, summary.short_of_threshold) == (2000, 0, 0)
    else:
        assert (wallet.current_balance, wallet.paid_out_total) == (1999, 0)
        assert not PayoutRecord.objects.exists()
        assert (summary.paid_out, summary.carried_forward, summary.short_of_threshold) == (0, 1999, 1)
        assert "threshold" in summary.note
    assert_books_clean()


def test_carried_forward_balance_is_paid_when_next_month_reaches_the_threshold(stripe_sim, promoter):
    stripe_sim.add_balance(100_000)
    campaign = None
    with time_machine.travel(MID_JAN, tick=False):
        campaign = _visibility_campaign()
        earn(campaign, promoter, 1500, "views-1")
        connect_ready(stripe_sim, promoter)
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
    with time_machine.travel(datetime.datetime(2026, 2, 10, tzinfo=datetime.UTC), tick=False):
        earn(campaign, promoter, 600, "views-2")
    with time_machine.travel(datetime.datetime(2026, 3, 1, 6, tzinfo=datetime.UTC), tick=False):
        services.period_close(period=datetime.date(2026, 2, 1))
    assert PayoutRecord.objects.get(promoter=promoter).amount == 2100
    assert _wallet(promoter).paid_out_total == 2100
    assert_books_clean()


def test_closing_twice_and_running_twice_pays_once(stripe_sim, promoter):
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        earn(_visibility_campaign(), promoter, 6000, "views-1")
        connect_ready(stripe_sim, promoter)
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
        second = services.period_close(period=JAN)
        third = services.payout_run(period=JAN)
        call_command("close_period", "2026-01")
    assert second.released_cents == 0 and second.run.paid == 0 and third.paid == 0
    assert PayoutRecord.objects.count() == StripeTransfer.objects.count() == 1
    assert PeriodClose.objects.count() == 1
    assert len([e for e in stripe_sim.events if e["type"] == "transfer.created"]) == 1
    assert _wallet(promoter).paid_out_total == 6000
    assert_books_clean()


def test_a_month_not_ended_cannot_be_closed(promoter):
    with time_machine.travel(MID_JAN, tick=False), pytest.raises(services.PayoutError):
        services.period_close(period=JAN)


def test_simulator_failing_leaves_failed_records_and_intact_balances_then_the_retry_pays(stripe_sim, promoter):
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        earn(_visibility_campaign(), promoter, 6000, "views-1")
        connect_ready(stripe_sim, promoter)
    with time_machine.travel(CLOSE_DAY, tick=False):
        stripe_sim.fail_next(1, "500")
        report = services.period_close(period=JAN)
    assert report.run.failed == 1 and report.run.paid == 0
    record = PayoutRecord.objects.get()
    assert record.status == PayoutStatus.FAILED and record.attempts == 1 and record.failure_reason
    assert record.failure_reason_code == record.stripe_transfer.failure_reason_code == "stripe_unavailable"
    wallet = _wallet(promoter)
    assert (wallet.current_balance, wallet.paid_out_total) == (6000, 0)
    assert_books_clean()

    with time_machine.travel(CLOSE_DAY + datetime.timedelta(minutes=15), tick=False):
        services.transfers_retry_failed()
    record.refresh_from_db()
    assert record.status == PayoutStatus.PAID and record.attempts == 2
    assert (_wallet(promoter).current_balance, _wallet(promoter).paid_out_total) == (0, 6000)
    assert len([e for e in stripe_sim.events if e["type"] == "transfer.created"]) == 1
    assert_books_clean()


def test_stripe_refusing_for_good_fails_the_record_and_the_retry_uses_a_new_key(stripe_sim, promoter):
    # Stripe refuses the transfer (the account lost its transfers capability) and would replay
    # that refusal for the same key, so the retry must use another key.
    with time_machine.travel(MID_JAN, tick=False):
        earn(_visibility_campaign(), promoter, 6000, "views-1")
        account = connect_ready(stripe_sim, promoter)
    stripe_sim.set_capability(account.stripe_account_id, "transfers", "inactive")
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
    record = PayoutRecord.objects.get()
    assert record.status == PayoutStatus.FAILED and "capabilities" in record.failure_reason
    assert record.failure_reason_code == "insufficient_capabilities_for_transfer"  # Stripe's code
    notice = Notification.objects.get(user=promoter, kind=NotificationKind.PAYOUT_FAILED)
    assert "The payout account cannot receive transfers yet: " in notice.body
    assert _wallet(promoter).current_balance == 6000
    assert_books_clean()
    stripe_sim.set_capability(account.stripe_account_id, "transfers", "active")
    services.payout_record_retry(record=record)
    record.refresh_from_db()
    assert (record.status, record.failure_reason_code, record.failure_reason) == (PayoutStatus.PAID, "", "")
    assert record.stripe_transfer.idempotency_key == f"payout-{record.pk}~1"
    assert record.stripe_transfer.failure_reason_code == ""
    assert_books_clean()


def test_a_crash_after_stripe_paid_is_recorded_once_by_the_rerun(stripe_sim, promoter, monkeypatch):
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        earn(_visibility_campaign(), promoter, 6000, "views-1")
        connect_ready(stripe_sim, promoter)

    def crash(successes):
        raise SystemExit("worker killed after Stripe answered")

    with time_machine.travel(CLOSE_DAY, tick=False):
        monkeypatch.setattr(run, "_payouts_record_success", crash)
        with pytest.raises(SystemExit):
            services.period_close(period=JAN)
        monkeypatch.undo()
        assert PayoutRecord.objects.get().status == PayoutStatus.PENDING
        services.period_close(period=JAN)
    assert PayoutRecord.objects.get().status == PayoutStatus.PAID
    # The same idempotency key: Stripe replayed the first transfer instead of making another.
    assert len([e for e in stripe_sim.events if e["type"] == "transfer.created"]) == 1
    assert _wallet(promoter).paid_out_total == 6000
    assert_books_clean()


def test_account_without_payouts_enabled_gets_nothing_until_enabled(stripe_sim, promoter):
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        earn(_visibility_campaign(), promoter, 6000, "views-1")
        account = services.connect_account_get_or_create(user=promoter)  # onboarding not finished
    assert not account.can_receive_money
    with time_machine.travel(CLOSE_DAY, tick=False):
        report = services.period_close(period=JAN)
    assert report.run.skipped["account not ready"] == 1
    assert not PayoutRecord.objects.exists()
    summary = BillingPeriodSummary.objects.get(user=promoter, period=JAN)
    assert summary.carried_forward == 6000 and "Stripe account" in summary.note
    stripe_sim.complete_onboarding(account.stripe_account_id)
    services.connect_account_refresh(stripe_account_id=account.stripe_account_id)
    with time_machine.travel(CLOSE_DAY + datetime.timedelta(hours=1), tick=False):
        run = services.payout_run(period=JAN)
    assert run.paid == 1
    assert _wallet(promoter).paid_out_total == 6000
    assert_books_clean()


def test_held_wallet_is_skipped_and_the_statement_says_why(stripe_sim, promoter):
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        earn(_visibility_campaign(), promoter, 6000, "views-1")
        connect_ready(stripe_sim, promoter)
    services.wallet_hold_set(
        wallet=Wallet.objects.get(user=promoter), hold=True, code="fraud_review", note="two accounts", actor=None
    )
    with time_machine.travel(CLOSE_DAY, tick=False):
        report = services.period_close(period=JAN)
    assert report.run.skipped["held"] == 1 and not PayoutRecord.objects.exists()
    note = BillingPeriodSummary.objects.get(user=promoter, period=JAN).note
    assert note == "Payouts on hold: Suspicious activity under review: two accounts"
    assert_books_clean()


def test_transfer_reversed_restores_the_money(
    stripe_sim, stripe_client, promoter, mailoutbox, django_capture_on_commit_callbacks
):
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        earn(_visibility_campaign(), promoter, 6000, "views-1")
        connect_ready(stripe_sim, promoter)
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
    transfer = StripeTransfer.objects.get()
    stripe_client.v1.transfers.reversals.create(transfer.stripe_transfer_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.transfer_reversed(stripe_transfer_id=transfer.stripe_transfer_id)
        services.transfer_reversed(stripe_transfer_id=transfer.stripe_transfer_id)  # a duplicate event
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REVERSED
    assert transfer.payout_record.status == PayoutStatus.REVERSED
    wallet = _wallet(promoter)
    assert (wallet.current_balance, wallet.paid_out_total) == (6000, 0)
    assert len(mailoutbox) == 1
    assert ledger.promoter_available(promoter).balance == 6000
    assert_books_clean()


def test_a_payout_run_at_stripes_rate_limit_backs_off_and_pays_everyone_once(stripe_sim, settings):
    """Stripe allows 3 transfers a second here: the run meets 429s, waits and resends under the
    same idempotency key, and no payout is marked failed or sent twice."""
    from accounts.tests.factories import PromoterFactory

    settings.STRIPE_RATE_LIMIT_BACKOFF_SECONDS = 0.05
    stripe_sim.add_balance(100_000)
    promoters = [PromoterFactory() for _ in range(8)]
    with time_machine.travel(MID_JAN, tick=False):
        campaign = CampaignFactory(
            awaiting_funding=True, campaign_type=CampaignType.VISIBILITY, cpv=300, max_views=20_000
        )
        fund(campaign, 60_000)
        for n, promoter in enumerate(promoters):
            earn(campaign, promoter, 2_500, f"views-{n}")
            connect_ready(stripe_sim, promoter)
    stripe_sim.configure(endpoint_rate_limits={"POST /v1/transfers": 3})

    with time_machine.travel(CLOSE_DAY, tick=True):
        report = services.period_close(period=JAN)

    assert stripe_sim.pace.limited > 0  # Stripe did say "slow down"
    assert (report.run.paid, report.run.failed) == (8, 0)
    assert PayoutRecord.objects.filter(period=JAN, status=PayoutStatus.PAID).count() == 8
    transfers = [e for e in stripe_sim.events if e["type"] == "transfer.created"]
    assert len(transfers) == 8  # each once, retries answered from the same idempotency key or not made
    assert_books_clean()


def test_payouts_still_rate_limited_past_the_wait_budget_stay_pending_not_failed(stripe_sim, settings, promoter):
    settings.STRIPE_RATE_LIMIT_MAX_WAIT_SECONDS = 0  # no waiting at all this run
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        campaign = _visibility_campaign()
        earn(campaign, promoter, 6000, "views-1")
        connect_ready(stripe_sim, promoter)
    stripe_sim.configure(endpoint_rate_limits={"POST /v1/transfers": 0.001})  # its one token...
    stripe_sim.pace.refused("POST /v1/transfers")  # ...spent: every transfer now gets a 429

    with time_machine.travel(CLOSE_DAY, tick=True):
        report = services.period_close(period=JAN)

    assert (report.run.paid, report.run.failed) == (0, 0)
    assert PayoutRecord.objects.get(promoter=promoter, period=JAN).status == PayoutStatus.PENDING
    assert_books_clean()
    # Not forgotten: the run stays open, and the schedule resumes it once Stripe lets it through.
    with time_machine.travel(CLOSE_DAY + datetime.timedelta(minutes=15), tick=True):
        assert services.payout_runs_abandoned() == [JAN]
        stripe_sim.configure(endpoint_rate_limits={})
        settings.STRIPE_RATE_LIMIT_MAX_WAIT_SECONDS = 30
        from payouts import tasks

        tasks.retry_failed_transfers()

    assert PayoutRecord.objects.get(promoter=promoter, period=JAN).status == PayoutStatus.PAID
    assert services.payout_runs_abandoned() == []
    assert_books_clean()
