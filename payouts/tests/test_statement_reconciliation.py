"""Every statement of either role adds up line by line: opening balance + each movement of the
month = closing balance, and the closing balance is the next month's opening balance."""

import datetime

import pytest
import time_machine
from django.db import transaction

from billing import services as billing_services
from billing.models import TransactionKind
from campaigns import services as campaign_services
from campaigns.tests.factories import CampaignFactory
from payouts import services, statements
from payouts.models import BillingPeriodSummary, StripeTransfer, SummaryRole
from payouts.reconciliation import statements_reconcile
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import earn
from tests.support.statements import JAN, close_a_month_of_activity

pytestmark = pytest.mark.django_db

FEB = datetime.date(2026, 2, 1)
MAR = datetime.date(2026, 3, 1)
MID_FEB = datetime.datetime(2026, 2, 12, 10, tzinfo=datetime.UTC)
MID_MAR = datetime.datetime(2026, 3, 12, 10, tzinfo=datetime.UTC)


def assert_every_statement_adds_up():
    """Each statement's balance section adds up and agrees with its summary; months chain."""
    checked, problems = statements_reconcile()
    assert not problems, problems
    for summary in BillingPeriodSummary.objects.filter(role=SummaryRole.PROMOTER):
        statement = statements.statement_get(user=summary.user, period=summary.period)
        assert -statement.reconciliation.total_of(TransactionKind.PAYOUT) == statement.paid_out_total
        assert statement.reconciliation.closing >= 0
    return checked


def test_statements_of_three_months_add_up(stripe_sim, stripe_client, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    users = close_a_month_of_activity(stripe_sim, capture_on_commit=capture)
    advertiser, promoter = users["advertiser"], users["promoter"]
    sales = advertiser.campaigns.get(campaign_type="salesman")

    with time_machine.travel(MID_FEB, tick=False):
        views = CampaignFactory(advertiser=advertiser, awaiting_funding=True, title="Spring views")
        fund(views, 4_000)
        earn(views, promoter, 3_000, "views-feb")
        with capture(execute=True), transaction.atomic():
            # A January sale refunded after its campaign ended: taken from February's earnings,
            # and refunded to the advertiser.
            billing_services.campaign_budget_spend_reverse(
                campaign=sales, promoter=promoter, spend_idempotency_key="sale-1", idempotency_key="ded-1"
            )
        milestone = StripeTransfer.objects.get(promoter=promoter, kind="immediate")
        stripe_client.v1.transfers.reversals.create(milestone.stripe_transfer_id)
        with capture(execute=True):
            services.transfer_reversed(stripe_transfer_id=milestone.stripe_transfer_id)
    with time_machine.travel(datetime.datetime(2026, 3, 1, 6, tzinfo=datetime.UTC), tick=False):
        services.period_close(period=FEB)
    with time_machine.travel(MID_MAR, tick=False):
        with capture(execute=True):
            services.transfers_retry_failed()
        campaign_services.campaign_complete(campaign=views, actor=advertiser)
    with time_machine.travel(datetime.datetime(2026, 4, 1, 6, tzinfo=datetime.UTC), tick=False):
        services.period_close(period=MAR)
        assert_books_clean()
        assert BillingPeriodSummary.objects.filter(period=JAN).exists()
        assert assert_every_statement_adds_up() >= 7

        feb = statements.statement_get(user=promoter, period=FEB).reconciliation
        assert feb.total_of(TransactionKind.SPEND_REVERSAL) == -2_500
        assert feb.total_of(TransactionKind.PAYOUT_REVERSAL) == 10_000
        mar = statements.statement_get(user=promoter, period=MAR).reconciliation
        assert (mar.opening, mar.closing) == (10_500, 500)  # 500 below the payout threshold
