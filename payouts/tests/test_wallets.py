"""Wallets are projections of the promoter's ledger accounts, moved only by postings."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from billing import ledger
from billing.audit import ledger_audit
from billing.models import TransactionKind
from campaigns.tests.factories import CampaignFactory
from payouts import services
from payouts.models import Wallet
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import earn

pytestmark = pytest.mark.django_db


def test_a_posting_creates_the_wallet_and_sets_each_figure_and_the_users_total(promoter):
    campaign = CampaignFactory(awaiting_funding=True)
    fund(campaign, 10_000)
    earn(campaign, promoter, 1234, "views-1")
    earn(campaign, promoter, 500, "milestone-1", destination="direct")
    wallet = Wallet.objects.get(user=promoter)
    assert (wallet.pending_balance, wallet.current_balance, wallet.direct_balance) == (1234, 0, 500)
    assert wallet.minimum_threshold == 2000
    with transaction.atomic():
        ledger.ledger_post(
            kind=TransactionKind.RELEASE,
            legs=[ledger.Leg(ledger.promoter_pending(promoter), ledger.promoter_available(promoter), 1000)],
            idempotency_key="test-release",
        )
    wallet.refresh_from_db()
    promoter.refresh_from_db()
    assert (wallet.pending_balance, wallet.current_balance, wallet.direct_balance) == (234, 1000, 500)
    assert promoter.wallet_balance == 1734
    assert ledger_audit().clean


def test_audit_reports_a_wallet_that_disagrees_with_the_ledger(promoter):
    campaign = CampaignFactory(awaiting_funding=True)
    fund(campaign, 10_000)
    earn(campaign, promoter, 1234, "views-1")
    Wallet.objects.filter(user=promoter).update(current_balance=99)
    type(promoter).objects.filter(pk=promoter.pk).update(wallet_balance=1)
    differences = ledger_audit().differences
    assert any("current_balance 99 != ledger 0" in line for line in differences)
    assert any(f"user {promoter.pk}: wallet_balance 1 != ledger 1234" in line for line in differences)


def test_next_payout_is_the_first_of_next_month_at_six_utc():
    now = datetime.datetime(2026, 12, 31, 23, 59, tzinfo=datetime.UTC)
    assert services.next_payout_at(now) == datetime.datetime(2027, 1, 1, 6, tzinfo=datetime.UTC)


def test_close_period_command_refuses_a_bad_month():
    with pytest.raises(CommandError):
        call_command("close_period", "2026-13")
    with pytest.raises(CommandError):
        call_command("close_period", "next month")


def test_the_monthly_task_closes_the_previous_month(stripe_sim, promoter):
    import time_machine

    from payouts import tasks
    from payouts.models import PeriodClose

    with time_machine.travel(datetime.datetime(2026, 3, 1, 6, tzinfo=datetime.UTC), tick=False):
        summary = tasks.close_previous_month()
    assert summary.startswith("2026-02:")
    assert PeriodClose.objects.filter(period=datetime.date(2026, 2, 1)).exists()


def test_schedules_are_declared():
    from django_q.models import Schedule

    from campaignplatform.schedules import SCHEDULES

    by_name = {spec["name"]: spec for spec in SCHEDULES}
    monthly = by_name["payouts.close_previous_month"]
    assert (monthly["schedule_type"], monthly["time"]) == (Schedule.MONTHLY, "06:00")
    retry = by_name["payouts.retry_failed_transfers"]
    assert (retry["schedule_type"], retry["minutes"]) == (Schedule.MINUTES, 15)


@pytest.mark.django_db
def test_a_wallet_created_by_another_posting_meanwhile_still_gets_this_postings_figure(monkeypatch):
    """The first posting to a promoter finds no wallet; another posting creates it before this
    one inserts: this posting's figure must still be written (not skipped as 'exists')."""
    from accounts.tests.factories import PromoterFactory
    from billing.ledger import LockedAccount
    from billing.models import AccountKind
    from payouts import projections
    from payouts.models import Wallet

    promoter = PromoterFactory()
    real_create = projections._wallets_create

    def another_posting_first(figures, currency_of, added):
        Wallet.objects.create(user=promoter, currency="usd", direct_balance=700)
        return real_create(figures, currency_of, added)

    monkeypatch.setattr(projections, "_wallets_create", another_posting_first)
    projections.wallets_sync(
        [LockedAccount(1, AccountKind.PROMOTER_PENDING, "usd", promoter.pk, None, balance=2500, delta=2500)]
    )

    wallet = Wallet.objects.get(user=promoter)
    assert (wallet.pending_balance, wallet.direct_balance) == (2500, 700)
    promoter.refresh_from_db()
    assert promoter.wallet_balance == 3200
