"""Commission deductions (a sale refunded after its commission left pending) applied at the close:
taken from the promoter's next (pending) earnings through billing's spend reversal, never driving
a wallet negative, carried while not covered."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection

from billing import ledger
from billing.models import Transaction, TransactionKind
from billing.services import campaign_budget_remaining
from payouts import services
from payouts.models import BillingPeriodSummary, Wallet
from tests.support.books import assert_books_clean
from tests.support.tracking import join, salesman_campaign
from tracking import services as tracking
from tracking.models import CommissionDeduction, SaleSource

JAN, FEB, MAR = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)


def _at(day: datetime.date, hour=12):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC), tick=False)


def _sale(campaign, participation, order_id, amount_cents=10_000):
    sale, _ = tracking.sale_record(
        campaign=campaign,
        order_id=order_id,
        amount_cents=amount_cents,
        currency="usd",
        ref_code=participation.tracking_code,
        source=SaleSource.MANUAL,
    )
    return tracking.sale_verify(sale=sale, actor=campaign.advertiser)


def _refunded_after_release():
    """January: a $100 sale earns 1250 cents; the January close releases it; in February the sale
    is refunded, so tracking records a deduction (the commission is no longer pending)."""
    with _at(datetime.date(2026, 1, 10)):
        campaign = salesman_campaign(budget_cents=100_000)
        participation = join(campaign)
        sale = _sale(campaign, participation, "o-1")
    with _at(FEB, hour=6):
        services.period_close(period=JAN)
    with _at(datetime.date(2026, 2, 3)):
        tracking.sale_refund(sale=sale, actor=campaign.advertiser)
    deduction = CommissionDeduction.objects.get(sale=sale)
    assert deduction.amount_cents == 1250 and deduction.applied_at is None
    return campaign, participation, deduction


def _pending(promoter):
    return ledger.promoter_pending(promoter).balance


@pytest.mark.django_db
def test_deduction_is_taken_from_next_earnings_at_the_close():
    campaign, participation, deduction = _refunded_after_release()
    promoter = participation.promoter
    with _at(datetime.date(2026, 2, 10)):
        _sale(campaign, participation, "o-2", amount_cents=40_000)  # 5000 cents of commission
    budget_before = campaign_budget_remaining(campaign)
    assert Wallet.objects.get(user=promoter).current_balance == 1250  # January's, below the threshold

    with _at(MAR, hour=6):
        report = services.period_close(period=FEB)

    deduction.refresh_from_db()
    assert deduction.applied_at is not None
    assert (report.deductions_applied, report.deductions_cents) == (1, 1250)
    # The commission went back to the campaign's budget; February's earnings less it were released.
    assert campaign_budget_remaining(campaign) == budget_before + 1250
    wallet = Wallet.objects.get(user=promoter)
    assert (wallet.pending_balance, wallet.current_balance) == (0, 1250 + 3750)
    assert report.released_cents == 3750
    reversal = Transaction.objects.get(idempotency_key=f"spend-reverse:deduction-{deduction.pk}")
    assert reversal.kind == TransactionKind.SPEND_REVERSAL and reversal.amount == 1250
    assert promoter.notifications.filter(event_key=f"deduction-applied-{deduction.pk}").count() == 1
    assert_books_clean()

    # Closing again applies nothing more.
    with _at(MAR, hour=7):
        again = services.period_close(period=FEB)
    assert again.deductions_applied == 0
    assert (
        Transaction.objects.filter(idempotency_key__startswith=f"spend-reverse:deduction-{deduction.pk}").count() == 1
    )
    assert_books_clean()


@pytest.mark.django_db
def test_deduction_not_covered_is_carried_and_pending_is_kept_towards_it():
    campaign, participation, deduction = _refunded_after_release()
    promoter = participation.promoter
    with _at(datetime.date(2026, 2, 10)):
        _sale(campaign, participation, "o-2", amount_cents=8_000)  # 1000 cents: less than the 1250 owed
    budget_before = campaign_budget_remaining(campaign)

    with _at(MAR, hour=6):
        report = services.period_close(period=FEB)

    deduction.refresh_from_db()
    assert deduction.applied_at is None and report.deductions_applied == 0
    # Nothing overdrawn: what pending holds stays there towards the deduction, none is released.
    assert _pending(promoter) == 1000 and report.released_cents == 0
    assert campaign_budget_remaining(campaign) == budget_before
    summary = BillingPeriodSummary.objects.get(user=promoter, period=FEB)
    assert "$12.50" in summary.note and "$10.00" in summary.note and "$2.50" in summary.note
    assert_books_clean()

    # March's earnings cover it: the April close takes it in full, then releases the rest.
    with _at(datetime.date(2026, 3, 10)):
        _sale(campaign, participation, "o-3", amount_cents=8_000)
    with _at(datetime.date(2026, 4, 1), hour=6):
        report = services.period_close(period=MAR)
    deduction.refresh_from_db()
    assert deduction.applied_at is not None
    assert _pending(promoter) == 0 and report.released_cents == 2000 - 1250
    assert campaign_budget_remaining(campaign) == budget_before - 1000 + 1250
    assert_books_clean()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_closes_apply_a_deduction_once():
    campaign, participation, deduction = _refunded_after_release()
    with _at(datetime.date(2026, 2, 10)):
        _sale(campaign, participation, "o-2", amount_cents=40_000)
    budget_before = campaign_budget_remaining(campaign)
    errors, barrier = [], threading.Barrier(2)

    def close():
        try:
            barrier.wait(timeout=10)
            services.period_close(period=FEB)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(datetime.datetime(2026, 3, 1, 6, tzinfo=datetime.UTC), tick=True):
        threads = [threading.Thread(target=close) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors

    deduction.refresh_from_db()
    assert deduction.applied_at is not None
    assert Transaction.objects.filter(kind=TransactionKind.SPEND_REVERSAL, amount=1250).count() == 1
    assert campaign_budget_remaining(campaign) == budget_before + 1250
    wallet = Wallet.objects.get(user=participation.promoter)
    assert (wallet.pending_balance, wallet.current_balance) == (0, 1250 + 3750)
    assert_books_clean()
